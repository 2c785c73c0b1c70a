// minehunter's own YARA rules for the ways Linux miners hide themselves: dynamic-linker preload
// (an /etc/ld.so.preload entry and the readdir-hooking library it loads) and kernel modules that
// hook the syscall table. Written from the public descriptions of libprocesshider-style hiders and
// LKM rootkits and the MITRE ATT&CK technique pages.

rule MH_Preload_Install_Script
{
    meta:
        description = "Script that registers a shared library in /etc/ld.so.preload, the usual way miners load a process-hiding library"
        kind = "preload"
        level = "critical"
        reference = "https://attack.mitre.org/techniques/T1574/006/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $echo = /(echo|printf)\s[^\n]{0,160}\.so[^\n]{0,40}>>?\s*\/etc\/ld\.so\.preload/ ascii
        $tee = /\.so[^\n]{0,40}\|\s*tee\s+(-a\s+)?\/etc\/ld\.so\.preload/ ascii
        $env = /export\s+LD_PRELOAD=[^\n]{0,80}(\/tmp\/|\/dev\/shm\/|\/var\/tmp\/|\/\.)/ ascii
    condition:
        any of them
}

rule MH_Preload_Process_Hider_Library
{
    meta:
        description = "ELF library that overrides readdir to hide a process by name (libprocesshider style) and carries a miner's process name"
        kind = "preload"
        level = "critical"
        reference = "https://attack.mitre.org/techniques/T1574/006/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $r1 = "readdir64" ascii fullword
        $r2 = "readdir" ascii fullword
        $dl = "dlsym" ascii fullword
        $p1 = "/proc/self/fd/%d" ascii
        $p2 = "/proc/%s/stat" ascii
        $m1 = "xmrig" ascii
        $m2 = "kdevtmpfsi" ascii
        $m3 = "kinsing" ascii
        $m4 = "minerd" ascii
        $m5 = "kworkerds" ascii
        $m6 = "dbused" ascii
        $m7 = "xmr-stak" ascii
    condition:
        uint32(0) == 0x464c457f and 1 of ($r*) and $dl and $p1 and $p2 and 1 of ($m*)
}

rule MH_Driver_Linux_LKM_Rootkit
{
    meta:
        description = "Linux kernel module that looks up the syscall table and hooks getdents/kill to hide processes, files or itself (Diamorphine/Reptile style)"
        kind = "driver"
        level = "critical"
        reference = "https://attack.mitre.org/techniques/T1014/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $mod = "vermagic=" ascii
        $sct = "sys_call_table" ascii
        $kal = "kallsyms_lookup_name" ascii
        $h1 = "getdents64" ascii
        $h2 = "hacked_" ascii
        $h3 = "hide_pid" ascii
        $h4 = "module_hide" ascii
        $h5 = "MAGIC_PREFIX" ascii
        $h6 = "hidden_pid" ascii
        $h7 = "hook_kill" ascii
    condition:
        uint32(0) == 0x464c457f and $mod and $sct and ($kal or 2 of ($h*)) and 1 of ($h*)
}
