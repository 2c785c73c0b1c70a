// minehunter's own YARA rules for WebAssembly mining cores: .wasm files, and modules embedded in a
// script as base64 (the content scan also decodes those and scans the module itself, see
// src/engine/web-normalise/). A browser miner's hashing runs in WebAssembly; its export and import
// names are the hash functions' C names as Emscripten keeps them (CoinHive's _cryptonight_hash and
// its forks, webminerpool's hash_cn, RandomX's C API, TurtleCoin's Chukwa). MH_Web_Wasm_CryptoNight_Module
// in web-miners.yar covers the CryptoNight names; these rules add the later algorithms and the
// embedded form. Names from the projects' public sources.

rule MH_Web_Wasm_Miner_Hash_Exports
{
    meta:
        description = "WebAssembly module carrying a RandomX, CryptoNight slow-hash or Chukwa proof-of-work entry point, or RandomX's Argon2 salt: a mining core compiled for the browser"
        kind = "web-script"
        level = "high"
        reference = "https://github.com/tevador/RandomX/blob/master/src/randomx.h"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $magic = { 00 61 73 6D 01 00 00 00 }
        $x1 = "randomx_calculate_hash" ascii
        $x2 = "randomx_create_vm" ascii
        $x3 = "randomx_init_cache" ascii
        $x4 = "randomx_alloc_cache" ascii
        $x5 = "rx_slow_hash" ascii
        $x6 = "cn_slow_hash" ascii
        $x7 = "chukwa_slow_hash" ascii
        $x8 = "RandomX\x03" ascii
    condition:
        $magic at 0 and 1 of ($x*)
}

rule MH_Web_Wasm_Embedded_Base64_Miner
{
    meta:
        description = "Script that carries a WebAssembly module as base64 (AGFzbQEAAAA is the module header) and names a mining hash or a CoinHive-style miner API"
        kind = "web-script"
        level = "high"
        reference = "https://webassembly.github.io/spec/core/binary/modules.html"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $b64 = "AGFzbQEAAAA" ascii
        $wa = "WebAssembly" ascii
        $m1 = "cryptonight" ascii nocase
        $m2 = "hash_cn" ascii fullword
        $m3 = "randomx" ascii nocase
        $m4 = "cn_slow_hash" ascii
        $m5 = "CryptonightWASMWrapper" ascii
        $m6 = "getHashesPerSecond" ascii
        $m7 = "WEBSOCKET_SHARDS" ascii
        $m8 = "mining.submit" ascii
    condition:
        $b64 and $wa and 1 of ($m*)
}
