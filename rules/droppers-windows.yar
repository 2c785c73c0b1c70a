// minehunter's own YARA rules for Windows mining droppers found on mounted Windows volumes and in
// collector output: PowerShell downloaders and encoded launchers, scheduled-task, WMI and
// Defender-exclusion persistence, hidden directories under Windows\Fonts, the ProtectionX driver
// family (win1logon.exe, wuauc1t.exe, ProcessExtended.dll, service hy5.5), kernel services loaded
// from temporary folders and the WinRing0 MSR driver bundled with miners. Strings are matched in
// ASCII and UTF-16 because PowerShell and the registry store text as UTF-16.

rule MH_Win_PowerShell_Miner_Downloader
{
    meta:
        description = "PowerShell that downloads and starts a miner (WebClient/Invoke-WebRequest/BITS plus miner name, pool URL or miner options)"
        kind = "fileless"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1059/001/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $ps = "powershell" ascii wide nocase
        $d1 = "DownloadFile" ascii wide nocase
        $d2 = "DownloadString" ascii wide nocase
        $d3 = "Invoke-WebRequest" ascii wide nocase
        $d4 = "Start-BitsTransfer" ascii wide nocase
        $d5 = "Net.WebClient" ascii wide nocase
        $m1 = "xmrig" ascii wide nocase
        $m2 = "stratum+tcp://" ascii wide nocase
        $m3 = "--donate-level" ascii wide nocase
        $m4 = "nicehash" ascii wide nocase
        $m5 = "--cpu-priority" ascii wide nocase
        $m6 = "minerd" ascii wide nocase
    condition:
        $ps and 1 of ($d*) and 1 of ($m*)
}

rule MH_Win_PowerShell_Hidden_Encoded
{
    meta:
        description = "Hidden, profile-less PowerShell launched with a long encoded command, the launcher pattern of fileless miner stages"
        kind = "fileless"
        level = "medium"
        reference = "https://attack.mitre.org/techniques/T1059/001/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $hidden_enc = /powershell(\.exe)?\s[^\n]{0,80}-w(indowstyle)?\s+hidden[^\n]{0,80}\s-e(nc|ncodedcommand)?\s+[A-Za-z0-9+\/]{60,}/ ascii wide nocase
        $nop_enc = /powershell(\.exe)?\s[^\n]{0,40}-nop(rofile)?\s[^\n]{0,80}\s-e(nc|ncodedcommand)?\s+[A-Za-z0-9+\/]{60,}/ ascii wide nocase
    condition:
        any of them
}

rule MH_Driver_ProtectionX_Miner
{
    meta:
        description = "ProtectionX-style driver miner: its dropped files win1logon.exe, wuauc1t.exe, ProcessExtended.dll or service hy5.5"
        kind = "driver"
        level = "critical"
        reference = "https://attack.mitre.org/techniques/T1543/003/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $f1 = "win1logon.exe" ascii wide nocase
        $f2 = "wuauc1t.exe" ascii wide nocase
        $f3 = "ProcessExtended.dll" ascii wide nocase
        $svc1 = /\\Services\\hy5\.5/ ascii wide nocase
        $svc2 = /sc(\.exe)?\s+(create|start|config)\s+["']?hy5\.5/ ascii wide nocase
    condition:
        2 of ($f*) or (1 of ($f*) and 1 of ($svc*)) or all of ($svc*)
}

rule MH_Driver_Windows_Kernel_Service_Temp
{
    meta:
        description = "Kernel-driver service created with its image in a temporary, per-user or Fonts folder (sc create ... type= kernel binPath= ...\\Temp\\...)"
        kind = "driver"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1543/003/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $sc = /sc(\.exe)?\s+create\s/ ascii wide nocase
        $kernel = /type=\s*kernel/ ascii wide nocase
        $path = /binpath=\s*["']?[A-Za-z]:\\(Windows\\Temp|Users\\[^\\\n]{1,64}\\AppData|Windows\\Fonts|ProgramData|Temp)\\/ ascii wide nocase
    condition:
        all of them
}

rule MH_Driver_WinRing0_With_Miner
{
    meta:
        description = "WinRing0 MSR driver bundled with a miner (XMRig ships it to apply RandomX MSR tweaks on Windows)"
        kind = "driver"
        level = "high"
        reference = "https://xmrig.com/docs/miner/randomx-optimization-guide/msr"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $w1 = "WinRing0x64.sys" ascii wide nocase
        $w2 = "WinRing0_1_2_0" ascii wide
        $m1 = "xmrig" ascii wide nocase
        $m2 = "randomx" ascii wide nocase
        $m3 = "--donate-level" ascii wide
        $m4 = "stratum+tcp://" ascii wide
    condition:
        1 of ($w*) and 1 of ($m*)
}

rule MH_Win_Fonts_Hidden_Directory
{
    meta:
        description = "Executable staged in a subdirectory of C:\\Windows\\Fonts (arial, Logs, temp, ttf...), or Fonts entries hidden with attrib +s +h"
        kind = "hidden-directory"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1564/001/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $exe = /\\Windows\\Fonts\\[A-Za-z0-9_ .\-]{1,32}\\[^\\\n"'<>|]{1,64}\.(exe|dll|bat|cmd|ps1|vbs|sys)/ ascii wide nocase
        $attrib = /attrib(\.exe)?\s+[^\n]{0,20}\+[sh]\s+\+[sh][^\n]{0,40}\\Fonts\\/ ascii wide nocase
    condition:
        any of them
}

rule MH_Win_Scheduled_Task_Miner
{
    meta:
        description = "Scheduled task created to (re)start a miner at boot or every few minutes"
        kind = "fileless"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1053/005/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $task = /schtasks(\.exe)?\s+\/create/ ascii wide nocase
        $m1 = "xmrig" ascii wide nocase
        $m2 = "stratum+tcp://" ascii wide nocase
        $m3 = "--donate-level" ascii wide nocase
        $m4 = "minerd" ascii wide nocase
        $m5 = /-o\s+[A-Za-z0-9.\-]{3,64}:[0-9]{2,5}\s+-u\s/ ascii wide
    condition:
        $task and 1 of ($m*)
}

rule MH_Win_WMI_Persistence_Miner
{
    meta:
        description = "WMI event subscription (filter, consumer, binding) that launches PowerShell or a miner"
        kind = "fileless"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1546/003/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $w1 = "__EventFilter" ascii wide
        $w2 = "CommandLineEventConsumer" ascii wide
        $w3 = "ActiveScriptEventConsumer" ascii wide
        $w4 = "__FilterToConsumerBinding" ascii wide
        $p1 = "powershell" ascii wide nocase
        $p2 = "xmrig" ascii wide nocase
        $p3 = "stratum+tcp://" ascii wide nocase
    condition:
        $w1 and $w4 and 1 of ($w2, $w3) and 1 of ($p*)
}

rule MH_Win_Defender_Exclusion_Miner
{
    meta:
        description = "Defender exclusions or real-time protection switched off next to miner names or options"
        kind = "fileless"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1562/001/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $x1 = /Add-MpPreference\s+-Exclusion(Path|Process|Extension)/ ascii wide nocase
        $x2 = /Set-MpPreference\s+-DisableRealtimeMonitoring\s+\$?(true|1)/ ascii wide nocase
        $m1 = "xmrig" ascii wide nocase
        $m2 = "stratum+tcp://" ascii wide nocase
        $m3 = "--donate-level" ascii wide nocase
        $m4 = "miner" ascii wide nocase
    condition:
        1 of ($x*) and 1 of ($m*)
}
