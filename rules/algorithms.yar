// minehunter's own YARA rules for the proof-of-work algorithms miners carry: RandomX,
// CryptoNight, Argon2 (Chukwa family), KawPow/ProgPow and Ethash. Constants come from the
// algorithms' public specifications; they survive renaming and string stripping, and they show up
// in process memory once a packed miner has unpacked itself. Generic primitives (Keccak, Blake2b,
// AES tables, FNV) are left out on purpose: every crypto library carries them.

rule MH_Algo_RandomX_Salt_And_API
{
    meta:
        description = "RandomX proof of work: its Argon2 salts (Monero, Wownero, ArQmA) or its C API entry points"
        kind = "open-source-miner"
        level = "high"
        reference = "https://github.com/tevador/RandomX/blob/master/doc/specs.md"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $salt1 = "RandomX\x03" ascii
        $salt2 = "RandomWOW\x01" ascii
        $salt3 = "RandomARQ\x01" ascii
        $f1 = "randomx_alloc_cache" ascii
        $f2 = "randomx_init_dataset" ascii
        $f3 = "randomx_create_vm" ascii
        $f4 = "randomx_calculate_hash" ascii
        $f5 = "randomx_alloc_dataset" ascii
    condition:
        1 of ($salt*) or 2 of ($f*)
}

rule MH_Algo_RandomX_Superscalar_Constants
{
    meta:
        description = "RandomX dataset-initialisation constants (superscalarAdd1..7) as little-endian 64-bit values, present in every RandomX implementation even when stripped"
        kind = "open-source-miner"
        level = "high"
        reference = "https://github.com/tevador/RandomX/blob/master/doc/specs.md"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $add1 = { FC A1 F5 59 8A 97 0A 81 }
        $add2 = { 46 D8 C2 38 DF 99 70 A7 }
        $add3 = { 5C 49 22 BF 1C B9 26 81 }
        $add4 = { 62 8A 9F 17 97 25 4D 49 }
        $add5 = { 0C EC AA CE B9 EF 37 92 }
        $add6 = { 78 2D E6 6C 74 56 2A 2F }
        $add7 = { 4E E5 2C B6 F7 3B 85 84 }
    condition:
        3 of them
}

rule MH_Algo_CryptoNight_Variants
{
    meta:
        description = "CryptoNight family: the algorithm name with several of the variant identifiers miners accept (cn/r, cn/half, cn-lite, cn-heavy, cn-pico...)"
        kind = "open-source-miner"
        level = "high"
        reference = "https://github.com/xmrig/xmrig/blob/master/doc/ALGORITHMS.md"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $name = "cryptonight" ascii
        $name2 = "CryptoNight" ascii
        $v1 = "cn/r" ascii fullword
        $v2 = "cn/half" ascii
        $v3 = "cn/rwz" ascii
        $v4 = "cn/zls" ascii
        $v5 = "cn/double" ascii
        $v6 = "cn-lite/1" ascii
        $v7 = "cn-heavy/0" ascii
        $v8 = "cn-pico" ascii
        $v9 = "cn/ccx" ascii
        $v10 = "cryptonight_v7" ascii
        $v11 = "cryptonight-heavy" ascii
        $v12 = "cryptonight_lite" ascii
    condition:
        1 of ($name*) and 3 of ($v*)
}

rule MH_Algo_Argon2_Chukwa
{
    meta:
        description = "Argon2 mining variants (Chukwa, Chukwa v2, WRKZ, Ninja) as named by CPU miners; plain Argon2 password hashing is not matched"
        kind = "open-source-miner"
        level = "high"
        reference = "https://github.com/xmrig/xmrig/blob/master/doc/ALGORITHMS.md"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $a1 = "argon2/chukwa" ascii
        $a2 = "argon2/chukwav2" ascii
        $a3 = "argon2/wrkz" ascii
        $a4 = "argon2/ninja" ascii
        $a5 = "chukwa" ascii fullword
    condition:
        2 of them
}

rule MH_Algo_KawPow_ProgPow
{
    meta:
        description = "KawPow (Ravencoin ProgPow): the 'rAVENCOINKAWPOW' padding words (0x72, 0x41, 0x56... as 32-bit values), or ProgPow kernel parameters together with the algorithm's name"
        kind = "open-source-miner"
        level = "high"
        reference = "https://github.com/RavenProject/Ravencoin/blob/master/src/crypto/ethash/lib/ethash/progpow.cpp"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $words = { 72 00 00 00 41 00 00 00 56 00 00 00 45 00 00 00 4E 00 00 00 43 00 00 00 4F 00 00 00 49 00 00 00 4E 00 00 00 4B 00 00 00 41 00 00 00 57 00 00 00 50 00 00 00 4F 00 00 00 57 00 00 00 }
        $ident = "ravencoin_kawpow" ascii
        $p1 = "kawpow" ascii
        $p2 = "progpow" ascii
        $p3 = "PROGPOW_LANES" ascii
        $p4 = "PROGPOW_REGS" ascii
        $p5 = "PROGPOW_DAG_LOADS" ascii
    condition:
        $words or $ident or 3 of ($p*)
}

rule MH_Algo_Ethash_DAG
{
    meta:
        description = "Ethash/Etchash DAG generation and light-client API names, carried by Ethash GPU miners"
        kind = "open-source-miner"
        level = "medium"
        reference = "https://ethereum.org/en/developers/docs/consensus-mechanisms/pow/mining/mining-algorithms/ethash/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $e1 = "ethash_calculate_dag_item" ascii
        $e2 = "ethash_light_new" ascii
        $e3 = "ethash_full_new" ascii
        $e4 = "ethash_light_compute" ascii
        $e5 = "ETHASH_DATASET_PARENTS" ascii
        $e6 = "ETHASH_ACCESSES" ascii
        $e7 = "ethash_get_seedhash" ascii
        $e8 = "etchash" ascii fullword
    condition:
        2 of them
}
