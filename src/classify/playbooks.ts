// What to do, in order, for each of the seven kinds of mining trojan of the source document's §4. The
// steps follow the document (e.g. Windows\Fonts subdirectories → full anti-virus scan; ld.so.preload
// hides files and processes from normal tools → check from outside the hooked loader) and name the
// minehunter command that carries a step out where there is one. Steps describe what droppers do
// rather than quote their one-liners: a saved report must not match minehunter's own dropper rules.
import type { Localized, MinerKind } from '../model/finding.js';
import type { TargetKind } from '../snapshot/schema.js';

const L = (en: string, zh: string): Localized => ({ en, 'zh-CN': zh });

const COMMON_END: Localized[] = [
  L(
    'Collect evidence before anything is lost: `minehunter evidence -o DIR` (snapshot, logs, histories, samples).',
    '在证据丢失之前先取证：`minehunter evidence -o 目录`（快照、日志、命令历史、样本）。',
  ),
  L(
    'Find the way in (weak passwords, exposed services, unpatched software) and close it, or the miner comes back.',
    '查明入侵途径（弱口令、暴露的服务、未修补的漏洞）并封堵，否则矿机还会回来。',
  ),
  L(
    'Write the incident report with `minehunter report` and attach the password-protected sample archive.',
    '用 `minehunter report` 编写事件报告，并附上带密码的样本压缩包。',
  ),
];

export const PLAYBOOKS: Record<MinerKind, Localized[]> = {
  'open-source-miner': [
    L(
      'Note the miner’s pool address and wallet (in the findings) for the report and for blocking.',
      '记录矿池地址和钱包地址（见检测结果），用于报告和阻断。',
    ),
    L(
      'Freeze, then kill the miner’s process tree, quarantine its binary and configuration: `minehunter respond --apply`.',
      '先冻结再终止矿机进程树，隔离其程序和配置文件：`minehunter respond --apply`。',
    ),
    L(
      'Remove what starts it again: cron lines, systemd units, rc scripts, authorized_keys entries.',
      '清除会再次启动它的持久化项：cron 计划任务、systemd 单元、启动脚本、authorized_keys 公钥。',
    ),
    L('Block the pool addresses at the firewall.', '在防火墙上阻断矿池地址。'),
    L('Scan again to confirm nothing is left.', '重新扫描，确认已清除干净。'),
    ...COMMON_END,
  ],
  fileless: [
    L(
      'Do not reboot yet: the payload lives in memory; `minehunter respond --apply` copies /proc/PID/exe into the archive before killing.',
      '先不要重启：载荷只在内存中；`minehunter respond --apply` 会在终止前把 /proc/PID/exe 复制进压缩包。',
    ),
    L(
      'Find the loader that runs it: command lines that pipe a download or a decoded payload straight into a shell, cron, systemd timers, shell profiles; on Windows WMI event consumers, scheduled tasks and PowerShell -enc.',
      '找出加载它的入口：把下载内容或解码后的载荷直接交给 shell 执行的命令行、cron、systemd 定时器、shell 配置文件；Windows 上检查 WMI 事件消费者、计划任务和 PowerShell -enc。',
    ),
    L(
      'Freeze and kill the process tree, remove the loader entries, block the download and pool hosts.',
      '冻结并终止进程树，删除加载入口，阻断下载地址和矿池地址。',
    ),
    L(
      'Scan again after a while: fileless miners return when a loader was missed.',
      '过一段时间再次扫描：遗漏了加载入口时，无文件挖矿会卷土重来。',
    ),
    ...COMMON_END,
  ],
  'hidden-directory': [
    L(
      'List the hidden directories with a tool that does not trust the desktop view (minehunter, PCHunter on Windows): on Windows any subdirectory of C:\\Windows\\Fonts such as arial, Logs, temp or ttf.',
      '用不依赖图形界面的工具列出隐藏目录（minehunter，Windows 上可用 PCHunter）：Windows 下 C:\\Windows\\Fonts 中的任何子目录，如 arial、Logs、temp、ttf。',
    ),
    L(
      'Run a full anti-virus scan, as the source document advises when such directories appear.',
      '按原文建议，出现此类目录时立即用杀毒软件进行全盘扫描和查杀。',
    ),
    L(
      'Kill the processes running from those directories, then quarantine the directories’ files: `minehunter respond --apply`.',
      '终止从这些目录运行的进程，再隔离目录中的文件：`minehunter respond --apply`。',
    ),
    L('Remove the persistence that starts them and scan again.', '清除启动它们的持久化项并重新扫描。'),
    ...COMMON_END,
  ],
  'web-script': [
    L(
      'Take the page offline or put it in maintenance mode: every visitor’s browser is mining.',
      '将页面下线或切换到维护模式：每个访客的浏览器都在挖矿。',
    ),
    L(
      'Find the files that serve it: `minehunter scan --path WEBROOT` on the server (or `minehunter scan` there, which finds its web roots) names the injected tags, loaders and prepended PHP behind the scripts a live check (`minehunter web URL`) saw.',
      '找到提供这些脚本的文件：在服务器上运行 `minehunter scan --path 网站根目录`（或直接 `minehunter scan`，会自动找到网站根目录），可定位在线检查（`minehunter web URL`）所见脚本背后被注入的标签、加载器和预置 PHP。',
    ),
    L(
      'Remove the injected script tags and files (CoinHive-style libraries, WebAssembly miners, WebSocket proxies) and compare the site with a known-good copy.',
      '删除被注入的脚本标签和文件（CoinHive 类库、WebAssembly 矿机、WebSocket 代理），并与可信备份比对。',
    ),
    L(
      'Block the pool endpoint the page’s WebSocket connected to (in the findings) at the proxy or firewall until the site is clean.',
      '在代理或防火墙上封禁页面 WebSocket 所连接的矿池端点（见检测结果），直到网站清理完毕。',
    ),
    L(
      'Find how they were injected (CMS plugin, stolen FTP/admin credentials) and rotate those credentials.',
      '查明注入途径（CMS 插件、被盗的 FTP/后台账号）并更换相关凭据。',
    ),
    L(
      'Add a Content-Security-Policy that forbids unknown script and connect sources.',
      '配置 Content-Security-Policy，禁止未知的脚本和连接来源。',
    ),
    ...COMMON_END,
  ],
  driver: [
    L(
      'Expect self-protection: the driver restarts and hides its user-mode parts (ProtectionX: win1logon.exe, wuauc1t.exe, ProcessExtended.dll, service hy5.5). Plan to clean from a rescue system if it resists.',
      '注意其自我保护：驱动会重启并隐藏用户态组件（ProtectionX：win1logon.exe、wuauc1t.exe、ProcessExtended.dll、服务 hy5.5）。若无法清除，准备从救援系统中处理。',
    ),
    L(
      'Disable the driver service or unload the kernel module, then quarantine its file and the dropped programs and shortcuts.',
      '禁用驱动服务或卸载内核模块，再隔离驱动文件及其释放的程序和快捷方式。',
    ),
    L('Reboot and scan again to confirm the driver did not come back.', '重启后重新扫描，确认驱动没有恢复。'),
    ...COMMON_END,
  ],
  preload: [
    L(
      'Distrust ps, ls, top on this host: a preloaded library hides files and processes from every normal tool. Use minehunter’s own /proc reading or a static busybox.',
      '不要相信本机的 ps、ls、top：预加载库会对所有常规工具隐藏文件和进程。使用 minehunter 直接读取 /proc，或静态编译的 busybox。',
    ),
    L(
      'Take the library out of /etc/ld.so.preload (clearing its immutable attribute first) and quarantine it: `minehunter respond --apply`.',
      '从 /etc/ld.so.preload 中移除该库（先清除其不可修改属性）并隔离它：`minehunter respond --apply`。',
    ),
    L(
      'Kill the processes it hid, which now appear, and remove their persistence.',
      '终止此前被隐藏、现在显现出来的进程，并清除其持久化项。',
    ),
    L(
      'Scan again; check LD_PRELOAD in service environments and shell profiles.',
      '重新扫描；检查服务环境变量和 shell 配置文件中的 LD_PRELOAD。',
    ),
    ...COMMON_END,
  ],
  'container-image': [
    // Commands are named for docker and podman alike; `<image>` is the name:tag or digest the
    // finding's evidence gives. No step quotes a download one-liner (see the header).
    L(
      'Keep a copy for the investigation before deleting anything: `docker save <image> -o image.tar` (or `podman save`), and note the image digest and the layer digests and build steps in the findings.',
      '删除任何内容之前先留存副本用于调查：`docker save <镜像> -o image.tar`（或 `podman save`），并记下检测结果中的镜像摘要、层摘要和构建步骤。',
    ),
    L(
      'Stop and remove every container of the image on every host: `docker ps -a --filter ancestor=<image>` then `docker rm -f <id>` (podman: `podman ps -a --filter ancestor=<image>`, `podman rm -f`); under Kubernetes, find the workloads with `kubectl get pods -A -o wide` and scale them down.',
      '在每台主机上停止并删除该镜像的所有容器：先 `docker ps -a --filter ancestor=<镜像>`，再 `docker rm -f <容器ID>`（podman：`podman ps -a --filter ancestor=<镜像>`、`podman rm -f`）；在 Kubernetes 中用 `kubectl get pods -A -o wide` 找出相关工作负载并缩容到零。',
    ),
    L(
      'Delete the image: `docker rmi <image>` (or `podman rmi`) on every host that pulled it, and remove the tag and digest from your registries and mirrors.',
      '删除镜像：在每台拉取过它的主机上执行 `docker rmi <镜像>`（或 `podman rmi`），并从你的镜像仓库和镜像缓存中删除该标签和摘要。',
    ),
    L(
      'Find who pulled or built it and from where: registry audit logs, CI pipeline logs, the Dockerfile and base image behind the build step named in the findings, and the daemon’s event log (`docker events`, `journalctl -u docker`). An exposed Docker API or Kubernetes dashboard is the usual way in.',
      '查明是谁、从哪里拉取或构建了它：镜像仓库审计日志、CI 流水线日志、检测结果所指构建步骤背后的 Dockerfile 和基础镜像，以及守护进程事件日志（`docker events`、`journalctl -u docker`）。暴露在外的 Docker API 或 Kubernetes 控制台是常见的入侵途径。',
    ),
    L(
      'Rotate the secrets the containers could read: environment variables, mounted secrets and config files, service-account tokens, cloud credentials, registry credentials.',
      '更换容器能读取到的所有凭据：环境变量、挂载的密钥和配置文件、服务账号令牌、云平台凭据、镜像仓库凭据。',
    ),
    L(
      'Pin images by digest (`name@sha256:…`) in Dockerfiles and deployments, from trusted and signed sources, so a retagged image cannot slip in.',
      '在 Dockerfile 和部署配置中按摘要固定镜像（`name@sha256:…`），只使用可信且已签名的来源，防止被替换标签的镜像混入。',
    ),
    L(
      'Scan images before they are deployed: `minehunter image <image.tar>` on `docker save` output in CI or at admission, and scan the hosts that ran the containers with `minehunter scan`.',
      '在部署之前扫描镜像：在 CI 或准入环节对 `docker save` 的输出运行 `minehunter image <image.tar>`，并用 `minehunter scan` 扫描运行过这些容器的主机。',
    ),
    ...COMMON_END,
  ],
};

// ----- Windows (issue 14) -----
// On a Windows volume the steps are a Windows administrator's: PowerShell on the host (the respond
// plan lists each command, arguments quoted), and `respond --apply` on the mounted volume, which only
// quarantines files. Steps name cmdlets, never a dropper's one-liner (see the header).

const WINDOWS_COMMON_END: Localized[] = [
  L(
    'Collect evidence first: `minehunter evidence -o DIR` over the mounted volume, and on the host export the event logs (`wevtutil epl System system.evtx`, the same for Security and Microsoft-Windows-PowerShell/Operational).',
    '先取证：对挂载的卷运行 `minehunter evidence -o 目录`，并在主机上导出事件日志（`wevtutil epl System system.evtx`，Security 和 Microsoft-Windows-PowerShell/Operational 同理）。',
  ),
  L(
    'Find the way in (RDP or SMB with weak passwords, an exposed service, a cracked-software download) and close it; change the passwords of the accounts the miner ran as.',
    '查明入侵途径（弱口令的 RDP 或 SMB、暴露的服务、下载的破解软件）并封堵；修改矿机所用账户的密码。',
  ),
  L(
    'Run a full Microsoft Defender scan (`Start-MpScan -ScanType FullScan`) and check that Defender was not switched off or given exclusions (`Get-MpPreference | Select-Object Exclusion*`).',
    '运行 Microsoft Defender 全盘扫描（`Start-MpScan -ScanType FullScan`），并检查 Defender 是否被关闭或添加了排除项（`Get-MpPreference | Select-Object Exclusion*`）。',
  ),
  L(
    'Write the incident report with `minehunter report` and attach the password-protected sample archive.',
    '用 `minehunter report` 编写事件报告，并附上带密码的样本压缩包。',
  ),
];

const WINDOWS_REMOVE_STARTERS = L(
  'Remove what starts it again, as the plan lists: `Unregister-ScheduledTask`, `sc.exe stop` and `sc.exe delete`, `Remove-ItemProperty` of the Run value, `Remove-CimInstance` of the WMI binding, consumer and filter. Autoruns (Sysinternals) shows any that remain.',
  '按处置计划清除会再次启动它的项：`Unregister-ScheduledTask`、`sc.exe stop` 和 `sc.exe delete`、用 `Remove-ItemProperty` 删除 Run 值、用 `Remove-CimInstance` 删除 WMI 绑定、消费者和筛选器。Sysinternals 的 Autoruns 可显示残留项。',
);

const WINDOWS_QUARANTINE = L(
  'Stop the processes by their full path (`Get-Process | Where-Object Path -eq …| Stop-Process -Force`, never by a look-alike name), then archive the files with `Compress-Archive` before `Remove-Item`; on the mounted volume `minehunter respond --apply --root <mount>` quarantines them, journaled and undoable, and never edits a hive.',
  '按完整路径结束进程（`Get-Process | Where-Object Path -eq … | Stop-Process -Force`，切勿按仿冒的名称），再用 `Compress-Archive` 归档文件后 `Remove-Item`；对挂载的卷，`minehunter respond --apply --root <挂载点>` 会隔离这些文件，操作有日志且可撤销，绝不修改注册表配置单元。',
);

const WINDOWS_RESCAN = L(
  'Reboot, then scan the volume again (or run Autoruns) to confirm nothing came back.',
  '重启后再次扫描该卷（或运行 Autoruns），确认没有恢复。',
);

export const WINDOWS_PLAYBOOKS: Partial<Record<MinerKind, Localized[]>> = {
  'open-source-miner': [
    L(
      'Note the pool addresses and wallets (in the findings) for the report, and block the pools at the firewall (`New-NetFirewallRule -Direction Outbound -Action Block -RemoteAddress …`).',
      '记录矿池地址和钱包地址（见检测结果）用于报告，并在防火墙上阻断矿池（`New-NetFirewallRule -Direction Outbound -Action Block -RemoteAddress …`）。',
    ),
    WINDOWS_QUARANTINE,
    WINDOWS_REMOVE_STARTERS,
    WINDOWS_RESCAN,
    ...WINDOWS_COMMON_END,
  ],
  fileless: [
    L(
      'Read the decoded script in the findings: it names what was downloaded and where it was saved. Do not run it.',
      '阅读检测结果中解码后的脚本：它给出了下载的内容和保存位置。切勿执行它。',
    ),
    L(
      'Remove the loader first — the WMI binding, consumer and filter (`Remove-CimInstance`), the scheduled task (`Unregister-ScheduledTask`), the Run value — or the payload comes back at the next event or logon.',
      '先清除加载入口——WMI 绑定、消费者和筛选器（`Remove-CimInstance`）、计划任务（`Unregister-ScheduledTask`）、Run 值——否则载荷会在下一次事件触发或登录时卷土重来。',
    ),
    L(
      'Stop the PowerShell processes that run it (`Get-CimInstance Win32_Process -Filter "Name=\'powershell.exe\'" | Select-Object ProcessId, CommandLine`, then `Stop-Process -Id`), and block the download and pool hosts.',
      '结束运行它的 PowerShell 进程（先 `Get-CimInstance Win32_Process -Filter "Name=\'powershell.exe\'" | Select-Object ProcessId, CommandLine`，再 `Stop-Process -Id`），并阻断下载地址和矿池地址。',
    ),
    L(
      'Turn on PowerShell script block logging (event 4104) so a return is seen, and scan again after a while.',
      '开启 PowerShell 脚本块日志（事件 4104）以便发现其卷土重来，并过一段时间再次扫描。',
    ),
    ...WINDOWS_COMMON_END,
  ],
  'hidden-directory': [
    L(
      'Explorer does not show subfolders of C:\\Windows\\Fonts: list them with `Get-ChildItem -Force -Directory -LiteralPath C:\\Windows\\Fonts` (or the findings), with their attributes (`attrib`).',
      '资源管理器不会显示 C:\\Windows\\Fonts 的子文件夹：用 `Get-ChildItem -Force -Directory -LiteralPath C:\\Windows\\Fonts`（或检测结果）列出它们及其属性（`attrib`）。',
    ),
    L(
      'Run a full anti-virus scan, as the source document advises when such folders appear.',
      '按原文建议，出现此类文件夹时立即用杀毒软件进行全盘扫描和查杀。',
    ),
    L(
      'Stop the processes running from those folders, then archive and delete each folder (`Compress-Archive`, then `Remove-Item -Recurse -Force`), as the plan lists.',
      '结束从这些文件夹运行的进程，再按处置计划归档并删除每个文件夹（先 `Compress-Archive`，再 `Remove-Item -Recurse -Force`）。',
    ),
    WINDOWS_REMOVE_STARTERS,
    ...WINDOWS_COMMON_END,
  ],
  driver: [
    L(
      'Expect self-protection: the driver restarts and hides its user-mode parts (ProtectionX: win1logon.exe, wuauc1t.exe, ProcessExtended.dll, service hy5.5). If it resists, clean the mounted volume from a rescue system: `minehunter respond --apply --root <mount>` quarantines the files.',
      '注意其自我保护：驱动会重启并隐藏用户态组件（ProtectionX：win1logon.exe、wuauc1t.exe、ProcessExtended.dll、服务 hy5.5）。若无法清除，从救援系统挂载该卷处理：`minehunter respond --apply --root <挂载点>` 会隔离相关文件。',
    ),
    L(
      'Stop and delete the driver service (`sc.exe stop <service>; sc.exe delete <service>`), then quarantine its file and the programs it dropped.',
      '停止并删除驱动服务（`sc.exe stop <服务名>; sc.exe delete <服务名>`），再隔离驱动文件及其释放的程序。',
    ),
    WINDOWS_REMOVE_STARTERS,
    L(
      'Reboot and scan again to confirm the driver did not come back (`driverquery /v`).',
      '重启后重新扫描，确认驱动没有恢复（`driverquery /v`）。',
    ),
    ...WINDOWS_COMMON_END,
  ],
};

/**
 * The playbook of a kind for a target: a Windows volume's in Windows terms when there is one, else the
 * kind's general one.
 */
export function playbookFor(kind: MinerKind, target?: TargetKind): Localized[] {
  return (target === 'windows-volume' ? WINDOWS_PLAYBOOKS[kind] : undefined) ?? PLAYBOOKS[kind];
}
