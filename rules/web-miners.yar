// minehunter's own YARA rules for in-browser miners found in web roots and saved pages:
// CoinHive and its look-alike services, WebAssembly CryptoNight modules and their loaders,
// CoinHive-style miner APIs talking to a pool proxy over WebSocket, the proxies themselves, and
// script tags injected into hacked pages. Service names and API shapes come from public
// cryptojacking write-ups and the services' own published snippets. The content scan also runs
// these rules over the decoded layers of obfuscated scripts (src/engine/web-normalise/), so they
// are written against what a browser would finally see, not against one obfuscator's output.
//
// MH_Web_Miner_Script_Hosts lists host names and script paths taken from the NoCoin filter list
// (https://github.com/hoshsadiq/adblock-nocoin-list, nocoin.txt version 227 of 10 November 2025,
// MIT licence, copyright (c) 2017 Hosh), retrieved 2026-12-03 and cut down by minehunter to the
// entries dedicated to browser mining: IP addresses, pools, look-alike mail hosts, CDN and IPFS
// addresses and general-purpose domains in that list were left out.

rule MH_Web_CoinHive
{
    meta:
        description = "CoinHive browser miner or a fork of its library: its script names, API objects, configuration keys, worker class or domains"
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
        $s10 = "CoinHive.CONFIG" ascii
        $s11 = "CoinHive.FORCE_EXCLUSIVE_TAB" ascii
        $s12 = "CoinHive.IF_EXCLUSIVE_TAB" ascii
        $s13 = "CoinHive.FORCE_MULTI_TAB" ascii
        // The library's configuration key for its pool-proxy WebSockets, kept by its forks
        // (CryptoNoter, Minero, deepMiner, self-hosted copies).
        $s14 = "WEBSOCKET_SHARDS" ascii
        // The CoinHive worker's wrapper around the CryptoNight WebAssembly module.
        $s15 = "CryptonightWASMWrapper" ascii
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
        $s13 = "CryptoNoter.Anonymous" ascii
        $s14 = "CryptoNoter.User" ascii
        // CoinImp's published snippet: `new Client.Anonymous('<64 hex site key>', {throttle: ...})`.
        $s15 = /new\s+Client\.Anonymous\s*\(\s*["'`][0-9a-f]{64}["'`]/ ascii
        $s16 = "monerise.com" ascii
        $s17 = "webminerpool.com" ascii
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
        $tag = /<script[^>]{0,120}src\s*=\s*["']?[^"'>]{0,200}(coinhive|coin-hive|authedmine|crypto-?loot|coinimp|webminepool|webminerpool|webmr\.js|jsecoin|cryptonight|deepminer|minero\.cc|cryptonoter|monerise|projectpoi|hostingcloud\.|freecontent\.|webxmr)[^"'>]{0,120}/ ascii nocase
    condition:
        $tag
}

rule MH_Web_Miner_Script_Hosts
{
    meta:
        description = "Host names and script paths of browser-mining services, from the NoCoin filter list (see the header of this file for the list's version and licence)"
        kind = "web-script"
        level = "high"
        reference = "https://github.com/hoshsadiq/adblock-nocoin-list"
        date = "2026-11-26"
        author = "minehunter"
        list_licence = "MIT, copyright (c) 2017 Hosh"
    strings:
        $h1 = "authedmine.eu" ascii
        $h2 = "authedwebmine.cz" ascii
        $h3 = "webmine.pro" ascii fullword
        $h4 = "webmining.co" ascii fullword
        $h5 = "webxmr.com" ascii
        $h6 = "cryptoloot.pro" ascii
        $h7 = "cryptaloot.pro" ascii
        $h8 = "crypto-webminer.com" ascii
        $h9 = "coin-have.com" ascii
        $h10 = "coinimp.net" ascii
        $h11 = "coinerra.com" ascii
        $h12 = "coinblind.com" ascii
        $h13 = "coinnebula.com" ascii
        $h14 = "coinpirate.cf" ascii fullword
        $h15 = "jscoinminer.com" ascii
        $h16 = "minemytraffic.com" ascii
        $h17 = "browsermine.com" ascii
        $h18 = "brominer.com" ascii
        $h19 = "ad-miner.com" ascii
        $h20 = "afminer.com" ascii
        $h21 = "cloud-miner.de" ascii fullword
        $h22 = "cloud-miner.eu" ascii fullword
        $h23 = "nfwebminer.com" ascii
        $h24 = "lightminer.co" ascii fullword
        $h25 = "swiftmining.win" ascii
        $h26 = "hashing.win" ascii fullword
        $h27 = "wasm.stream" ascii fullword
        $h28 = "webassembly.stream" ascii fullword
        $h29 = "freecontent.date" ascii fullword
        $h30 = "freecontent.stream" ascii fullword
        $h31 = "hostingcloud.racing" ascii fullword
        $h32 = "hostingcloud.party" ascii fullword
        $h33 = "flightsy.win" ascii fullword
        $h34 = "flightzy.date" ascii fullword
        $h35 = "cpufan.club" ascii fullword
        $h36 = "notmining.org" ascii fullword
        $h37 = "cryptobara.com" ascii
        $h38 = "minero-proxy-" ascii
        $p1 = "deepMiner.min.js" ascii
        $p2 = "cryptonight-worker.js" ascii
        $p3 = "projectpoi.min.js" ascii
        $p4 = "xmr-monero.js" ascii
        $p5 = "authedminer.js" ascii
        $p6 = "coin-hive-proxy-" ascii
        $p7 = "coinhive-proxy-" ascii
    condition:
        any of them
}

rule MH_Web_CoinHive_Style_API
{
    meta:
        description = "A CoinHive-style miner started under any vendor name: new X.Anonymous/User/Token('site key', {throttle...}) or X.CONFIG.WEBSOCKET_SHARDS set to a proxy, as renamed clones and self-hosted copies do"
        kind = "web-script"
        level = "high"
        reference = "https://en.wikipedia.org/wiki/Coinhive"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $ctor = /new\s+[A-Za-z_$][\w$]{0,40}(\.[A-Za-z_$][\w$]{0,40})?\.(Anonymous|User|Token)\s*\(\s*["'`][^"'`]{4,120}["'`]\s*,\s*\{[^}]{0,200}(throttle|autoThreads|threads)\s*:/ ascii
        $shards = /\.CONFIG\.WEBSOCKET_SHARDS\s*=\s*\[\s*\[/ ascii
    condition:
        any of them
}
