// minehunter's own YARA rules for the obfuscation that hides an injected miner in a web root: PHP
// that runs or prints text it first decodes (eval(gzinflate(base64_decode(...))), the injector
// shape of hacked CMS footers), and JavaScript that runs or writes decoded text. They say that
// something is hidden, not that it is a miner: the content scan decodes such files
// (src/engine/web-normalise/) and the miner rules then read what was hidden. Shapes from public
// write-ups of PHP malware and cryptojacking injections.

rule MH_Web_PHP_Eval_Decode_Chain
{
    meta:
        description = "PHP that evaluates text it decodes first (eval/assert over base64_decode, gzinflate, gzuncompress, str_rot13, strrev) or a preg_replace with the /e modifier, as injected CMS files do"
        kind = "web-script"
        level = "medium"
        reference = "https://www.php.net/manual/en/function.eval.php"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $e1 = /\b(eval|assert)\s*\(\s*(gzinflate|gzuncompress|gzdecode|str_rot13|base64_decode|strrev|rawurldecode)\s*\(/ ascii nocase
        $e2 = /preg_replace\s*\(\s*["']\/[^"'\n]{0,200}\/[imsxuADSUX]{0,6}e[imsxuADSUX]{0,6}["']\s*,/ ascii
    condition:
        any of them
}

rule MH_Web_JS_Eval_Decoded_Script
{
    meta:
        description = "JavaScript that runs or writes out text it decodes first: eval(atob(...)), eval(unescape(...)), eval(String.fromCharCode(...)), document.write(unescape(...)), or a Dean Edwards p,a,c,k,e,d packer"
        kind = "web-script"
        level = "low"
        reference = "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/eval"
        date = "2026-11-26"
        author = "minehunter"
    strings:
        $e1 = /\beval\s*\(\s*(window\.)?(atob|unescape|decodeURIComponent|String\.fromCharCode)\s*\(/ ascii
        $e2 = /document\.write\s*\(\s*(unescape|atob|decodeURIComponent)\s*\(/ ascii
        $e3 = /eval\s*\(\s*function\s*\(\s*p\s*,\s*a\s*,\s*c\s*,\s*k\s*,\s*e\s*,\s*[dr]\s*\)/ ascii
    condition:
        any of them
}
