// minehunter's own YARA rules for miners shipped in container images and in the scripts that
// abuse exposed Docker APIs: Dockerfiles and Compose/Kubernetes manifests that run a miner, and
// scripts that start a privileged container with the host's root mounted to plant one. Written
// from public cloud-threat reports and the MITRE ATT&CK container techniques.

rule MH_Container_Dockerfile_Miner
{
    meta:
        description = "Dockerfile that fetches, builds or starts a miner (miner name, donate level or Stratum URL in RUN/CMD/ENTRYPOINT)"
        kind = "container-image"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1525/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $from = /(^|\n)FROM\s+[A-Za-z0-9]/ ascii
        $run = /\n(RUN|CMD|ENTRYPOINT)\s[^\n]{0,400}(xmrig|xmr-stak|minerd|cpuminer|srbminer|nanominer|lolminer|t-rex|--donate-level|stratum\+(tcp|ssl|tls):\/\/)/ ascii
    condition:
        $from and $run
}

rule MH_Container_Manifest_Miner
{
    meta:
        description = "Compose or Kubernetes manifest whose image, command or args run a miner"
        kind = "container-image"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1610/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $img = /image:\s*["']?[^\n]{0,120}(xmrig|xmr-stak|monero-miner|cpuminer|minerd)/ ascii
        $args = /(command|args|entrypoint):\s*[^\n]{0,300}(--donate-level|stratum\+(tcp|ssl|tls):\/\/|rx\/0|xmrig)/ ascii
        $k1 = "apiVersion:" ascii
        $k2 = "services:" ascii
        $k3 = "containers:" ascii
    condition:
        1 of ($k*) and ($img or $args)
}

rule MH_Container_Docker_API_Abuse
{
    meta:
        description = "Script that starts a privileged container with the host's root mounted (via docker run or the remote API on 2375) and escapes to the host to plant a miner"
        kind = "container-image"
        level = "critical"
        reference = "https://attack.mitre.org/techniques/T1610/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $run = "docker" ascii
        $priv = "--privileged" ascii
        $mount = /-v\s+\/:\/[A-Za-z0-9_]{1,16}/ ascii
        $e1 = "chroot" ascii fullword
        $e2 = "nsenter" ascii fullword
        $e3 = ":2375" ascii
        $e4 = "/var/run/docker.sock" ascii
        $pay1 = "xmrig" ascii
        $pay2 = "stratum+tcp://" ascii
        $pay3 = /(curl|wget)\s[^\n]{0,200}\|\s*(ba)?sh/ ascii
    condition:
        $run and $priv and $mount and 1 of ($e*) and 1 of ($pay*)
}
