// minehunter's own YARA rules for CPU miners: XMRig and its forks, xmrig-proxy, xmr-stak,
// cpuminer/minerd and forks, the Stratum protocol and the MSR/huge-page tuning miners apply.
// Written from the projects' public READMEs, help texts and documentation. Conditions ask for
// several independent strings so one word in a dictionary, a log or a man page never suffices.

rule MH_XMRig_Miner
{
    meta:
        description = "XMRig CPU/GPU miner: its name or donation hosts together with its distinctive command-line options"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/xmrig/xmrig"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "XMRig/" ascii
        $n2 = "xmrig.com" ascii
        $n3 = "donate.v2.xmrig.com" ascii
        $n4 = "donate.ssl.xmrig.com" ascii
        $n5 = "Usage: xmrig [OPTIONS]" ascii
        $o1 = "--donate-level" ascii
        $o2 = "--randomx-1gb-pages" ascii
        $o3 = "--cpu-max-threads-hint" ascii
        $o4 = "--randomx-wrmsr" ascii
        $o5 = "--cpu-affinity" ascii
        $o6 = "--huge-pages-jit" ascii
    condition:
        (1 of ($n*) and 2 of ($o*)) or (2 of ($n*) and 1 of ($o*)) or 3 of ($n*)
}

rule MH_XMRig_Fork_Unbranded
{
    meta:
        description = "Rebranded or stripped XMRig fork: XMRig's RandomX/CPU options and algorithm names without the XMRig name"
        kind = "open-source-miner"
        level = "high"
        reference = "https://xmrig.com/docs/miner/command-line-options"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $o1 = "--randomx-1gb-pages" ascii
        $o2 = "--randomx-wrmsr" ascii
        $o3 = "--randomx-no-rdmsr" ascii
        $o4 = "--cpu-max-threads-hint" ascii
        $o5 = "--huge-pages-jit" ascii
        $o6 = "--donate-over-proxy" ascii
        $o7 = "--randomx-mode" ascii
        $a1 = "rx/wow" ascii
        $a2 = "rx/arq" ascii
        $a3 = "cn/half" ascii
        $a4 = "cn-pico" ascii
        $a5 = "argon2/chukwa" ascii
        $a6 = "cn-heavy/xhv" ascii
    condition:
        2 of ($o*) and 2 of ($a*)
}

rule MH_XMRig_Proxy
{
    meta:
        description = "xmrig-proxy, the Stratum proxy that multiplexes many hijacked miners onto one pool connection"
        kind = "open-source-miner"
        level = "high"
        reference = "https://github.com/xmrig/xmrig-proxy"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "xmrig-proxy" ascii
        $n2 = "XMRig-Proxy" ascii
        $o1 = "--custom-diff" ascii
        $o2 = "--mode=nicehash" ascii
        $o3 = "--access-password" ascii
        $o4 = "--bind=" ascii
        $o5 = "--custom-diff-stats" ascii
        $o6 = "--reuse-timeout" ascii
    condition:
        1 of ($n*) and 2 of ($o*)
}

rule MH_XMRig_Console_Output
{
    meta:
        description = "XMRig's console or log output (hash-rate line, job and share messages), found in log files and process memory"
        kind = "open-source-miner"
        level = "high"
        reference = "https://xmrig.com/docs/miner/command-line-options"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $speed = "speed 10s/60s/15m" ascii
        $l1 = "new job from" ascii
        $l2 = "READY threads" ascii
        $l3 = "accepted (" ascii
        $l4 = "use pool" ascii
        $l5 = "huge pages" ascii
    condition:
        $speed and 2 of ($l*)
}

rule MH_XmrStak_Miner
{
    meta:
        description = "xmr-stak / xmr-stak-rx miner: project name with its pool and backend configuration files"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/fireice-uk/xmr-stak"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "xmr-stak" ascii
        $n2 = "fireice-uk" ascii
        $n3 = "XMR-Stak" ascii
        $c1 = "pools.txt" ascii
        $c2 = "nvidia.txt" ascii
        $c3 = "amd.txt" ascii
        $c4 = "\"pool_list\"" ascii
        $c5 = "use_nicehash" ascii
        $c6 = "\"currency\"" ascii
    condition:
        1 of ($n*) and 2 of ($c*)
}

rule MH_Cpuminer_Minerd
{
    meta:
        description = "pooler's cpuminer (minerd): scrypt/sha256d getwork and Stratum miner"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/pooler/cpuminer"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "cpuminer" ascii
        $n2 = "minerd" ascii fullword
        $s1 = "scrypt(1024, 1, 1)" ascii
        $s2 = "--userpass=U:P" ascii
        $s3 = "X-Mining-Extensions" ascii
        $s4 = "X-Long-Polling" ascii
        $s5 = "Stratum requested work restart" ascii
        $s6 = "LONGPOLL pushed new work" ascii
    condition:
        1 of ($n*) and 2 of ($s*)
}

rule MH_Cpuminer_Forks
{
    meta:
        description = "cpuminer forks (cpuminer-opt, cpuminer-multi, cpuminer-gr): fork name with their algorithm list"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/JayDDee/cpuminer-opt"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "cpuminer-opt" ascii
        $n2 = "cpuminer-multi" ascii
        $n3 = "cpuminer-gr" ascii
        $n4 = "JayDDee" ascii
        $n5 = "tpruvot" ascii
        $a1 = "yespower" ascii
        $a2 = "lyra2z330" ascii
        $a3 = "ghostrider" ascii
        $a4 = "minotaurx" ascii
        $a5 = "x16rv2" ascii
        $a6 = "allium" ascii fullword
        $a7 = "--cpu-affinity" ascii
    condition:
        1 of ($n*) and 3 of ($a*)
}

rule MH_Stratum_Mining_Protocol
{
    meta:
        description = "Client side of the Stratum mining protocol (subscribe, authorize, notify, submit), as spoken by pool miners"
        kind = "open-source-miner"
        level = "high"
        reference = "https://en.bitcoin.it/wiki/Stratum_mining_protocol"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $m1 = "mining.subscribe" ascii
        $m2 = "mining.authorize" ascii
        $m3 = "mining.submit" ascii
        $m4 = "mining.notify" ascii
        $m5 = "mining.set_difficulty" ascii
        $m6 = "mining.extranonce.subscribe" ascii
    condition:
        3 of them
}

rule MH_Monero_Stratum_Login
{
    meta:
        description = "Monero-style Stratum JSON-RPC (login, job, keepalived, submit) as sent by XMRig-family miners, in captures, logs or memory"
        kind = "open-source-miner"
        level = "high"
        reference = "https://github.com/xmrig/xmrig-proxy"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $login = /"method"\s*:\s*"login"/ ascii
        $m1 = /"method"\s*:\s*"keepalived"/ ascii
        $m2 = /"method"\s*:\s*"submit"/ ascii
        $f1 = "\"job_id\"" ascii
        $f2 = "\"seed_hash\"" ascii
        $f3 = "\"agent\"" ascii
        $f4 = "\"rigid\"" ascii
    condition:
        $login and 1 of ($m*) and 2 of ($f*)
}

rule MH_Miner_MSR_HugePages_Tuning
{
    meta:
        description = "RandomX tuning a miner or its installer applies: MSR prefetcher writes and huge-page reservation"
        kind = "open-source-miner"
        level = "medium"
        reference = "https://xmrig.com/docs/miner/randomx-optimization-guide/msr"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $w = "wrmsr" ascii fullword
        $r1 = "0xc0011020" ascii
        $r2 = "0xc0011021" ascii
        $r3 = "0x1a4" ascii fullword
        $h1 = "vm.nr_hugepages" ascii
        $h2 = "modprobe msr" ascii
        $h3 = "/sys/kernel/mm/hugepages" ascii
        $h4 = "1gb-pages" ascii
    condition:
        ($w and 2 of ($r*)) or ($h2 and 1 of ($h1, $h3, $h4))
}
