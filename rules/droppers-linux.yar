// minehunter's own YARA rules for the shell droppers of Linux mining campaigns: killing competing
// miners, stopping cloud security agents (Alibaba Cloud Aegis, Tencent Cloud, Baidu, Huawei),
// locking files with chattr, download-and-run, cron and SSH-key persistence, hidden staging
// directories, process-name masquerading, memfd execution and log/firewall tampering. Written from
// public incident write-ups and MITRE ATT&CK technique pages; no campaign's script is copied.

rule MH_Dropper_Kill_Competing_Miners
{
    meta:
        description = "Script that kills competing miners by name (kdevtmpfsi, kinsing, xmrig, minerd, watchbog...) before installing its own"
        kind = "fileless"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1496/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $k1 = "pkill" ascii fullword
        $k2 = "killall" ascii fullword
        $k3 = "kill -9" ascii
        $k4 = "xargs kill" ascii
        $m1 = "kdevtmpfsi" ascii
        $m2 = "kinsing" ascii
        $m3 = "xmrig" ascii
        $m4 = "minerd" ascii
        $m5 = "xmr-stak" ascii
        $m6 = "kthreaddi" ascii
        $m7 = "sustes" ascii
        $m8 = "watchbog" ascii
        $m9 = "dbused" ascii
        $m10 = "kworkerds" ascii
        $m11 = "cryptonight" ascii
        $m12 = "stratum" ascii
        $m13 = "sysupdate" ascii
        $m14 = "networkservice" ascii
    condition:
        1 of ($k*) and 4 of ($m*)
}

rule MH_Dropper_Stop_Cloud_Security_Agents
{
    meta:
        description = "Script that stops or uninstalls cloud host-security agents (Aliyun Aegis/AliYunDun, Tencent Cloud YunJing/stargate, Baidu BCM, Huawei HostGuard, CloudMonitor)"
        kind = "fileless"
        level = "critical"
        reference = "https://attack.mitre.org/techniques/T1562/001/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $a1 = "AliYunDun" ascii
        $a2 = "/usr/local/aegis" ascii
        $a3 = "aegis.aliyun.com" ascii
        $a4 = "aliyun.service" ascii
        $a5 = "/usr/local/qcloud" ascii
        $a6 = "YDService" ascii
        $a7 = "YunJing" ascii
        $a8 = "bcm-agent" ascii
        $a9 = "hostguard" ascii
        $a10 = "/usr/local/cloudmonitor" ascii
        $a11 = "aegis_update" ascii
        $s1 = "systemctl stop" ascii
        $s2 = "systemctl disable" ascii
        $s3 = "uninstall" ascii
        $s4 = "rm -rf" ascii
        $s5 = "pkill" ascii
        $s6 = "kill -9" ascii
    condition:
        2 of ($a*) and 1 of ($s*)
}

rule MH_Dropper_Chattr_File_Locking
{
    meta:
        description = "Script that toggles the immutable attribute (chattr +i/-i) on cron, SSH, preload or account files to pin its persistence or unlock them"
        kind = "fileless"
        level = "medium"
        reference = "https://attack.mitre.org/techniques/T1222/002/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $c = /chattr\s+[-+][aiu]{1,3}\s/ ascii
        $t1 = "/etc/crontab" ascii
        $t2 = "/var/spool/cron" ascii
        $t3 = "authorized_keys" ascii
        $t4 = "/etc/ld.so.preload" ascii
        $t5 = "/etc/passwd" ascii
        $t6 = "/etc/hosts" ascii
        $t7 = "/etc/cron.d" ascii
        $t8 = "/etc/resolv.conf" ascii
    condition:
        $c and 2 of ($t*)
}

rule MH_Dropper_Download_And_Run
{
    meta:
        description = "Download-and-run: curl or wget output piped into a shell, from a bare IP address or next to miner staging traits"
        kind = "fileless"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1105/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $ip = /(curl|wget)\s[^\n|;]{0,160}https?:\/\/[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}[^\n|;]{0,160}\|\s*(ba|da)?sh\b/ ascii
        $alt = /\|\|\s*wget\s[^\n]{0,200}\)\s*\|\s*(ba|da)?sh\b/ ascii
        $any = /(curl|wget)\s[^\n|;]{0,200}\|\s*(ba|da)?sh\b/ ascii
        $c1 = "/dev/shm" ascii
        $c2 = "/tmp/." ascii
        $c3 = "nohup" ascii fullword
        $c4 = "chmod +x" ascii
        $c5 = "crontab" ascii
        $c6 = "xmrig" ascii
        $c7 = ">/dev/null 2>&1" ascii
    condition:
        $ip or $alt or ($any and 3 of ($c*))
}

rule MH_Dropper_DevTcp_Download
{
    meta:
        description = "Download through bash's /dev/tcp when curl and wget were removed: raw HTTP GET written to a /dev/tcp socket"
        kind = "fileless"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1105/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $tcp = /\/dev\/tcp\/[A-Za-z0-9.\-]{4,64}\/[0-9]{2,5}/ ascii
        $get = /GET \/[^\n]{0,120}HTTP\/1\.[01]/ ascii
        $fd1 = "exec 3<>" ascii
        $fd2 = "<&3" ascii
    condition:
        $tcp and $get and 1 of ($fd*)
}

rule MH_Dropper_Cron_Download_Persistence
{
    meta:
        description = "Cron persistence that re-downloads and runs a payload: a schedule line with curl/wget/base64/dev-tcp, or a crontab pipe installing one"
        kind = "fileless"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1053/003/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $line = /[*0-9\/,]{1,8} [*0-9\/,]{1,8} \* \* \*[^\n]{0,200}(curl|wget|\/dev\/tcp\/|base64 -d)/ ascii
        $pipe = /crontab -l[^\n]{0,40};\s*echo[^\n]{0,240}(curl|wget)[^\n]{0,240}\|\s*crontab -/ ascii
    condition:
        any of them
}

rule MH_Dropper_Hidden_Staging_Directory
{
    meta:
        description = "Script that creates a dot-named or '...' directory under /tmp, /var/tmp, /dev/shm or a home and makes a payload in it executable"
        kind = "hidden-directory"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1564/001/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $mk = /mkdir\s+(-p\s+)?["']?(\/tmp|\/var\/tmp|\/dev\/shm|\/root|\$HOME|~|\/usr\/local\/lib|\/etc)\/\.[^\s\/"']{0,32}/ ascii
        $dots = /(\/tmp|\/var\/tmp|\/dev\/shm)\/\.\.\.\// ascii
        $blank = /(\/tmp|\/var\/tmp|\/dev\/shm)\/\.\s\// ascii
        $x1 = "chmod +x" ascii
        $x2 = "chmod 777" ascii
        $x3 = "chmod 755" ascii
        $x4 = "chmod 700" ascii
    condition:
        1 of ($mk, $dots, $blank) and 1 of ($x*)
}

rule MH_Dropper_Base64_Pipe_Shell
{
    meta:
        description = "Encoded stage decoded and piped straight into a shell (an echoed base64 blob decoded and handed to sh)"
        kind = "fileless"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1140/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $pipe = /base64\s+(-d|--decode)[^\n|]{0,40}\|\s*(ba|da)?sh\b/ ascii
        $blob = /echo\s+["']?[A-Za-z0-9+\/]{60,}={0,2}["']?\s*\|\s*base64\s+(-d|--decode)/ ascii
    condition:
        any of them
}

rule MH_Dropper_SSH_Key_Backdoor
{
    meta:
        description = "Script that appends an attacker's SSH public key to authorized_keys, often locked afterwards with chattr"
        kind = "fileless"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1098/004/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $key = /echo\s+["']?ssh-(rsa|ed25519|dss)\s+AAAA[0-9A-Za-z+\/]{40,}[^\n]{0,160}>>?\s*[^\n]{0,40}authorized_keys/ ascii
    condition:
        $key
}

rule MH_Dropper_Process_Masquerade
{
    meta:
        description = "Miner started under a kernel-thread or system-daemon name (exec with a bracketed kworker name as argv[0], or copied to kthreadd/ksoftirqd...)"
        kind = "fileless"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1036/004/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $exec = /exec\s+-a\s+["']?\[?(kworker|kthreadd|ksoftirqd|kswapd|migration|rcu_sched|watchdog)/ ascii
        $copy = /(cp|mv)\s+[^\n]{0,80}(xmrig|miner|xmr)[^\n]{0,80}\/(kworker[a-z0-9]*|kthreadd|ksoftirqd|kswapd0|sshd|systemd-[a-z]+|dbus-daemon)\b/ ascii
    condition:
        any of them
}

rule MH_Dropper_Memfd_Fileless_Exec
{
    meta:
        description = "Script (Python or Perl) that downloads a payload into an anonymous memfd and executes it from /proc/self/fd, leaving no file"
        kind = "fileless"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1620/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $m1 = "os.memfd_create" ascii
        $m2 = /ctypes[^\n]{0,120}memfd_create/ ascii
        $m3 = /syscall\s*\(\s*319\s*,/ ascii
        $e1 = /\/proc\/(self|\$\$)\/fd\/(["']\s*[+.]|%d|\{|\$)/ ascii
        $e2 = "os.execv" ascii
        $e3 = "os.fexecve" ascii
        $d1 = "urlopen" ascii
        $d2 = "requests.get" ascii
        $d3 = "LWP::Simple" ascii
        $d4 = "IO::Socket::INET" ascii
        $d5 = "socket.create_connection" ascii
    condition:
        1 of ($m*) and 1 of ($e*) and 1 of ($d*)
}

rule MH_Dropper_Defense_Evasion_Tampering
{
    meta:
        description = "Script that weakens the host for a miner: disables SELinux, firewall and NMI watchdog, raises file limits and wipes shell history and login logs"
        kind = "fileless"
        level = "medium"
        reference = "https://attack.mitre.org/techniques/T1562/004/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $e1 = "setenforce 0" ascii
        $e2 = "SELINUX=disabled" ascii
        $e3 = "ufw disable" ascii
        $e4 = "iptables -F" ascii
        $e5 = "kernel.nmi_watchdog" ascii
        $e6 = "/proc/sys/kernel/nmi_watchdog" ascii
        $e7 = "history -c" ascii
        $e8 = "unset HISTFILE" ascii
        $e9 = "HISTFILE=/dev/null" ascii
        $e10 = /echo\s*>\s*\/var\/log\/(wtmp|btmp|lastlog|secure|auth\.log)/ ascii
        $e11 = "ulimit -n 65535" ascii
    condition:
        4 of them
}

rule MH_Dropper_Systemd_Miner_Unit
{
    meta:
        description = "systemd unit whose ExecStart runs a miner (miner name, donate level, Stratum URL or pool options)"
        kind = "open-source-miner"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1543/002/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $svc = "[Service]" ascii
        $exec = /ExecStart=[^\n]{0,240}(xmrig|minerd|cpuminer|xmr-stak|--donate-level|stratum\+(tcp|ssl|tls):\/\/|--cpu-max-threads-hint|-a rx\/0)/ ascii
    condition:
        $svc and $exec
}
