// minehunter's own YARA rules for GPU miners that campaigns drop beside (or instead of) CPU
// miners: T-Rex, lolMiner, NBMiner, PhoenixMiner, GMiner, SRBMiner, TeamRedMiner, nanominer,
// ccminer, ethminer and WildRig. Each rule pairs the miner's name (or its publisher's) with
// options or algorithm names from its public README, so a mention of the name alone never fires.

rule MH_TRex_Miner
{
    meta:
        description = "T-Rex NVIDIA GPU miner: name or site with its API and tuning options"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/trexminer/T-Rex"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "T-Rex NVIDIA GPU miner" ascii
        $n2 = "trex-miner.com" ascii
        $n3 = "trexminer" ascii
        $o1 = "--api-bind-http" ascii
        $o2 = "--api-bind-telnet" ascii
        $o3 = "--lhr-tune" ascii
        $o4 = "--no-watchdog" ascii
        $o5 = "--kernel" ascii fullword
    condition:
        1 of ($n*) and 2 of ($o*)
}

rule MH_LolMiner
{
    meta:
        description = "lolMiner GPU miner: name with its dual-mining options and algorithm names"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/Lolliedieb/lolMiner-releases"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "lolMiner" ascii
        $n2 = "Lolliedieb" ascii
        $o1 = "--dualmode" ascii
        $o2 = "--dualpool" ascii
        $o3 = "--apiport" ascii
        $o4 = "--ethstratum" ascii
        $a1 = "AUTOLYKOS2" ascii
        $a2 = "BEAM-III" ascii
        $a3 = "EQUI144_5" ascii
        $a4 = "ETCHASH" ascii
    condition:
        1 of ($n*) and 2 of ($o*, $a*)
}

rule MH_NBMiner
{
    meta:
        description = "NBMiner GPU miner by NebuTech: name with its LHR mode option and algorithm list"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/NebuTech/NBMiner"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "NBMiner" ascii
        $n2 = "NebuTech" ascii
        $o1 = "--lhr-mode" ascii
        $o2 = "--enable-igpu" ascii
        $a1 = "octopus" ascii fullword
        $a2 = "beamv3" ascii fullword
        $a3 = "cuckatoo32" ascii
        $a4 = "kawpow" ascii fullword
    condition:
        1 of ($n*) and 2 of ($o*, $a*)
}

rule MH_PhoenixMiner
{
    meta:
        description = "PhoenixMiner Ethash/Etchash GPU miner: name with its single-dash pool, wallet and clock options"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://bitcointalk.org/index.php?topic=2647654.0"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "PhoenixMiner" ascii
        $o1 = "-wal" ascii fullword
        $o2 = "-epsw" ascii fullword
        $o3 = "-cdmport" ascii fullword
        $o4 = "-rmode" ascii fullword
        $o5 = "-tstop" ascii fullword
        $o6 = "-mclock" ascii fullword
        $o7 = "-straps" ascii fullword
    condition:
        1 of ($n*) and 3 of ($o*)
}

rule MH_GMiner
{
    meta:
        description = "GMiner GPU miner by develsoftware: name with its power-efficiency and watchdog options"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/develsoftware/GMinerRelease"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "GMiner" ascii fullword
        $n2 = "develsoftware" ascii
        $o1 = "--electricity_cost" ascii
        $o2 = "--templimit" ascii
        $o3 = "--pec" ascii fullword
        $o4 = "--watchdog" ascii fullword
        $o5 = "--dag_mode" ascii
    condition:
        1 of ($n*) and 2 of ($o*)
}

rule MH_SRBMiner
{
    meta:
        description = "SRBMiner-MULTI CPU/GPU miner: name with its CPU/GPU selection and pool options"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/doktor83/SRBMiner-Multi"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "SRBMiner-MULTI" ascii
        $n2 = "SRBMiner" ascii
        $n3 = "doktor83" ascii
        $o1 = "--disable-gpu" ascii
        $o2 = "--disable-cpu" ascii
        $o3 = "--cpu-threads" ascii
        $o4 = "--give-up-limit" ascii
        $o5 = "--retry-time" ascii
        $o6 = "--algorithm" ascii fullword
    condition:
        1 of ($n*) and 2 of ($o*)
}

rule MH_TeamRedMiner
{
    meta:
        description = "TeamRedMiner AMD GPU miner: name with its per-algorithm configuration options"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/todxx/teamredminer"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "teamredminer" ascii
        $n3 = "TeamRedMiner" ascii
        $n2 = "todxx" ascii
        $o1 = "--eth_config" ascii
        $o2 = "--cn_config" ascii
        $o3 = "--bus_reorder" ascii
        $o4 = "--watchdog_script" ascii
        $o5 = "--init_style" ascii
        $o6 = "--kas_" ascii
    condition:
        1 of ($n*) and 2 of ($o*)
}

rule MH_Nanominer
{
    meta:
        description = "nanominer by nanopool: name with its INI configuration sections and keys"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/nanopool/nanominer"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "nanominer" ascii
        $n2 = "nanopool" ascii
        $k1 = "rigName" ascii
        $k2 = "webPort" ascii
        $k3 = "[RandomX]" ascii
        $k4 = "[Ethash]" ascii
        $k5 = "[Autolykos]" ascii
        $k6 = "rigPassword" ascii
    condition:
        1 of ($n*) and 2 of ($k*)
}

rule MH_Ccminer
{
    meta:
        description = "ccminer NVIDIA CUDA miner (tpruvot and forks): name with its CUDA options and algorithm names"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/tpruvot/ccminer"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "ccminer" ascii
        $o1 = "--cuda-schedule" ascii
        $o2 = "--max-temp" ascii
        $o3 = "--plimit" ascii
        $o4 = "--show-diff" ascii
        $a1 = "lyra2v2" ascii
        $a2 = "neoscrypt" ascii
        $a3 = "x16r" ascii fullword
    condition:
        $n1 and 3 of ($o*, $a*)
}

rule MH_Ethminer
{
    meta:
        description = "ethminer Ethash GPU miner: name with its farm and CUDA/OpenCL work-size options and stratum URL schemes"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/ethereum-mining/ethminer"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "ethminer" ascii
        $n2 = "ethereum-mining" ascii
        $o1 = "--farm-recheck" ascii
        $o2 = "--cuda-grid-size" ascii
        $o3 = "--cl-local-work" ascii
        $o4 = "--report-hashrate" ascii
        $o5 = "stratum1+tcp" ascii
        $o6 = "stratum2+tcp" ascii
    condition:
        1 of ($n*) and 2 of ($o*)
}

rule MH_WildRig_Multi
{
    meta:
        description = "WildRig Multi AMD/NVIDIA GPU miner: name with its OpenCL launch options"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://github.com/andru-kun/wildrig-multi"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $n1 = "WildRig" ascii
        $n2 = "andru-kun" ascii
        $o1 = "--opencl-threads" ascii
        $o2 = "--opencl-launch" ascii
        $o3 = "--print-full" ascii
        $o4 = "--strategy" ascii fullword
    condition:
        1 of ($n*) and 2 of ($o*)
}
