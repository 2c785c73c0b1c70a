// minehunter's own YARA rules for miner configuration: XMRig's config.json shape, xmr-stak's
// pool file, nanominer's config.ini, Stratum pool URLs, miner command lines in scripts and unit
// files, and the domains of well-known public mining pools. Key names come from each project's
// documented configuration format.

rule MH_Config_XMRig_JSON
{
    meta:
        description = "XMRig config.json: a pools array with url and user, plus XMRig-specific keys such as donate-level or rig-id"
        kind = "open-source-miner"
        level = "high"
        reference = "https://xmrig.com/docs/miner/config"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $pools = "\"pools\"" ascii
        $url = "\"url\"" ascii
        $user = "\"user\"" ascii
        $x1 = "\"donate-level\"" ascii
        $x2 = "\"donate-over-proxy\"" ascii
        $x3 = "\"rig-id\"" ascii
        $x4 = "\"nicehash\"" ascii
        $x5 = "\"huge-pages\"" ascii
        $x6 = "\"randomx\"" ascii
    condition:
        $pools and $url and $user and 2 of ($x*)
}

rule MH_Config_XMRig_Stealth
{
    meta:
        description = "XMRig configuration tuned to hide: runs in the background with the donation cut to 0 or 1 percent"
        kind = "open-source-miner"
        level = "critical"
        reference = "https://xmrig.com/docs/miner/config"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $pools = "\"pools\"" ascii
        $bg = /"background"\s*:\s*true/ ascii
        $donate = /"donate-level"\s*:\s*[01][,\s]/ ascii
    condition:
        all of them
}

rule MH_Config_XmrStak_Pools
{
    meta:
        description = "xmr-stak pools.txt/config.txt: pool_list entries with pool_address, wallet_address and pool_password"
        kind = "open-source-miner"
        level = "high"
        reference = "https://github.com/fireice-uk/xmr-stak/blob/master/doc/usage.md"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $k1 = "\"pool_list\"" ascii
        $k2 = "\"pool_address\"" ascii
        $k3 = "\"wallet_address\"" ascii
        $k4 = "\"pool_password\"" ascii
        $k5 = "\"use_nicehash\"" ascii
        $k6 = "\"pool_weight\"" ascii
        $k7 = "\"rig_id\"" ascii
    condition:
        3 of them
}

rule MH_Config_Nanominer_Ini
{
    meta:
        description = "nanominer config.ini: an algorithm section with wallet and rigName or pool keys"
        kind = "open-source-miner"
        level = "high"
        reference = "https://github.com/nanopool/nanominer"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $s1 = "[RandomX]" ascii
        $s2 = "[Ethash]" ascii
        $s3 = "[Etchash]" ascii
        $s4 = "[Kawpow]" ascii
        $s5 = "[Autolykos]" ascii
        $wallet = /\nwallet\s*=\s*\S{20}/ ascii
        $k1 = /\nrigName\s*=/ ascii
        $k2 = /\npool1\s*=/ ascii
    condition:
        1 of ($s*) and $wallet and 1 of ($k*)
}

rule MH_Config_Stratum_Pool_URL
{
    meta:
        description = "A Stratum pool URL with host and port (stratum+tcp/ssl/tls://host:port), the address format every pool miner is given"
        kind = "open-source-miner"
        level = "medium"
        reference = "https://en.bitcoin.it/wiki/Stratum_mining_protocol"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $url = /stratum[12]?\+(tcp|ssl|tls):\/\/[A-Za-z0-9.\-]{3,80}:[0-9]{2,5}/ ascii
    condition:
        $url
}

rule MH_Config_Miner_Command_Line
{
    meta:
        description = "A miner command line in a script, unit or task: pool URL option with user/wallet option, or an explicit donate level or mining algorithm"
        kind = "open-source-miner"
        level = "high"
        reference = "https://xmrig.com/docs/miner/command-line-options"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $donate = /--donate-level[= ][0-9]/ ascii
        $algo = /(-a|--algo)[= ](rx\/0|rx\/wow|cn\/r|cn\/half|kawpow|ethash|etchash|randomx|cryptonight|argon2\/chukwa|ghostrider)\b/ ascii
        $pool = /(-o|--url)[= ]+(stratum\+(tcp|ssl):\/\/)?[A-Za-z0-9.\-]{3,64}:[0-9]{2,5}\s+(-u|--user)[= ]+\S{8}/ ascii
    condition:
        2 of them
}

rule MH_Config_Known_Pool_Domains
{
    meta:
        description = "Domains of well-known public mining pools (Monero and GPU coins) referenced in a file"
        kind = "open-source-miner"
        level = "medium"
        reference = "https://miningpoolstats.stream/monero"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $p1 = "pool.supportxmr.com" ascii
        $p2 = "xmr.nanopool.org" ascii
        $p3 = "pool.minexmr.com" ascii
        $p4 = "moneroocean.stream" ascii
        $p5 = "c3pool.com" ascii
        $p6 = "xmrpool.eu" ascii
        $p7 = "pool.hashvault.pro" ascii
        $p8 = "monerohash.com" ascii
        $p9 = "xmr.f2pool.com" ascii
        $p10 = "herominers.com" ascii
        $p11 = "2miners.com" ascii
        $p12 = "ethermine.org" ascii
        $p13 = "unmineable.com" ascii
        $p14 = "nicehash.com" ascii
        $p15 = "xmr.pool.minergate.com" ascii
        $p16 = "randomxmonero.auto.nicehash.com" ascii
    condition:
        any of them
}
