// minehunter's own YARA rules for in-browser miners found in web roots and saved pages:
// CoinHive and its look-alike services, WebAssembly CryptoNight modules and their loaders,
// CoinHive-style miner APIs talking to a pool proxy over WebSocket, the proxies themselves, and
// script tags injected into hacked pages. Service names and API shapes come from public
// cryptojacking write-ups.

rule MH_Web_CoinHive
{
    meta:
        description = "CoinHive browser miner: its script names, API objects or domains"
        kind = "web-script"
        level = "critical"
        reference = "https://en.wikipedia.org/wiki/Coinhive"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $s1 = "coinhive.min.js" ascii
        $s2 = "CoinHive.Anonymous" ascii
        $s3 = "CoinHive.User" ascii
        $s4 = "CoinHive.Token" ascii
        $s5 = "coin-hive.com" ascii
        $s6 = "authedmine.com" ascii
        $s7 = "authedmine.min.js" ascii
        $s8 = "cnhv.co" ascii fullword
    condition:
        any of them
}

rule MH_Web_Miner_Services
{
    meta:
        description = "Browser-mining services modelled on CoinHive (Crypto-Loot, CoinImp, JSEcoin, WebMinePool, deepMiner, Minero...)"
        kind = "web-script"
        level = "high"
        reference = "https://en.wikipedia.org/wiki/Cryptojacking"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $s1 = "crypto-loot.com" ascii
        $s2 = "CRLT.Anonymous" ascii
        $s3 = "coinimp.com" ascii
        $s4 = "jsecoin.com" ascii
        $s5 = "webminepool.com" ascii
        $s6 = "deepMiner.Anonymous" ascii
        $s7 = "minero.cc" ascii
        $s8 = "coinhave.com" ascii
        $s9 = "cryptonoter.com" ascii
        $s10 = "ppoi.org" ascii fullword
        $s11 = "monerominer.rocks" ascii
        $s12 = "webmine.cz" ascii
    condition:
        any of them
}

rule MH_Web_Wasm_CryptoNight_Module
{
    meta:
        description = "WebAssembly module exporting a CryptoNight hash function, the hashing core of browser miners"
        kind = "web-script"
        level = "high"
        reference = "https://en.wikipedia.org/wiki/Cryptojacking"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $magic = { 00 61 73 6D 01 00 00 00 }
        $e1 = "cryptonight_hash" ascii
        $e2 = "cryptonight_create" ascii
        $e3 = "cryptonight_destroy" ascii
        $e4 = "cn_hash" ascii fullword
        $e5 = "hash_cn" ascii fullword
        $e6 = "cryptonight" ascii
    condition:
        $magic at 0 and 1 of ($e*)
}

rule MH_Web_Wasm_Miner_Loader
{
    meta:
        description = "JavaScript that instantiates a CryptoNight WebAssembly module in workers (cryptonight.wasm and its exported hash functions)"
        kind = "web-script"
        level = "high"
        reference = "https://en.wikipedia.org/wiki/Cryptojacking"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $wasm = "WebAssembly" ascii
        $l1 = "cryptonight.wasm" ascii
        $l2 = "_cryptonight_hash" ascii
        $l3 = "_cryptonight_create" ascii
        $l4 = "cn.wasm" ascii fullword
        $w = "new Worker(" ascii
    condition:
        $wasm and 1 of ($l*) and $w
}

rule MH_Web_WebSocket_Miner_Client
{
    meta:
        description = "CoinHive-style miner client: WebSocket to a pool proxy plus the miner API (site_key auth, job/submit, throttle, hash counters)"
        kind = "web-script"
        level = "high"
        reference = "https://en.wikipedia.org/wiki/Coinhive"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $ws = "WebSocket" ascii
        $a1 = "site_key" ascii
        $a2 = "getHashesPerSecond" ascii
        $a3 = "getTotalHashes" ascii
        $a4 = "getAcceptedHashes" ascii
        $a5 = "setThrottle" ascii
        $a6 = "setNumThreads" ascii
        $a7 = "hash_accepted" ascii
        $a8 = "hashesPerSecond" ascii
    condition:
        $ws and 3 of ($a*)
}

rule MH_Web_WebSocket_Stratum_Proxy
{
    meta:
        description = "Server that bridges browser miners' WebSockets to a Stratum pool (WebSocket server plus TCP pool connection plus Stratum login/submit)"
        kind = "web-script"
        level = "high"
        reference = "https://en.wikipedia.org/wiki/Cryptojacking"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $ws1 = "WebSocket.Server" ascii
        $ws2 = "WebSocketServer" ascii
        $ws3 = "websockets.serve" ascii
        $tcp1 = "net.connect" ascii
        $tcp2 = "net.Socket" ascii
        $tcp3 = "createConnection" ascii
        $tcp4 = "open_connection" ascii
        $s1 = "mining.subscribe" ascii
        $s2 = /["']method["']\s*:\s*["']login["']/ ascii
        $s3 = "keepalived" ascii
        $s4 = "stratum+tcp" ascii
        $s5 = /["']method["']\s*:\s*["']submit["']/ ascii
    condition:
        1 of ($ws*) and 1 of ($tcp*) and 2 of ($s*)
}

rule MH_Web_Injected_Miner_Script_Tag
{
    meta:
        description = "Script tag injected into a page (HTML, PHP template, CMS database dump) that loads a browser-miner library"
        kind = "web-script"
        level = "high"
        reference = "https://attack.mitre.org/techniques/T1496/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $tag = /<script[^>]{0,120}src\s*=\s*["']?[^"'>]{0,200}(coinhive|coin-hive|authedmine|crypto-loot|coinimp|webminepool|jsecoin|cryptonight|deepminer|minero\.cc)[^"'>]{0,120}/ ascii nocase
    condition:
        $tag
}
