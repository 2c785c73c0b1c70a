// minehunter's own YARA rules for payout wallet addresses where a miner is told to pay: Monero
// standard/sub-addresses (95 base58 characters, starting 4 or 8) and Ethereum-style addresses
// (0x + 40 hex) after a miner's user/wallet option or key. A bare address is not enough on its
// own: base58 and hex runs occur by chance in large binaries, so each pattern is anchored on the
// option or key that hands it to a miner.

rule MH_Wallet_Monero_Address
{
    meta:
        description = "A Monero address (95 base58 characters starting with 4 or 8) given to a miner as user, wallet or WALLET variable"
        kind = "open-source-miner"
        level = "high"
        reference = "https://docs.getmonero.org/public-address/standard-address/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $json = /"user"\s*:\s*"[48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}/ ascii
        $long = /--user[= ]+[48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}/ ascii
        // One or two blanks after -u, spelled out: with `\s+` YARA-X searched for " -u " or "-u",
        // which cost a third of the content scan's time on a tree of text and binaries.
        $short = /(-u|-u[ \t])[ \t][48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}/ ascii
        $var = /(wallet|WALLET|Wallet)[A-Za-z_]{0,16}\s*[=:]\s*["']?[48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}/ ascii
    condition:
        any of them
}

rule MH_Wallet_Ethereum_Address_In_Miner_Args
{
    meta:
        description = "An Ethereum-style payout address (0x + 40 hex) given to a GPU miner through -wal, -ewal, --user, -u or a user/wallet key"
        kind = "open-source-miner"
        level = "high"
        reference = "https://ethereum.org/en/developers/docs/accounts/"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $wal = /\s-e?wal\s+0x[0-9a-fA-F]{40}/ ascii
        $user = /(--user[= ]+|\s-u\s+)0x[0-9a-fA-F]{40}/ ascii
        $json = /"(user|wallet)"\s*:\s*"0x[0-9a-fA-F]{40}/ ascii
        $ini = /\nwallet\s*=\s*0x[0-9a-fA-F]{40}/ ascii
    condition:
        any of them
}
