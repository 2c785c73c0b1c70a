// What to do, in order, for each of the seven kinds of mining trojan of the source document's §4. The
// steps follow the document (e.g. Windows\Fonts subdirectories → full anti-virus scan; ld.so.preload
// hides files and processes from normal tools → check from outside the hooked loader) and name the
// minehunter command that carries a step out where there is one. Steps describe what droppers do
// rather than quote their one-liners: a saved report must not match minehunter's own dropper rules.
import type { Localized, MinerKind } from '../model/finding.js';

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
      'Remove the injected script tags and files (CoinHive-style libraries, WebAssembly miners, WebSocket proxies) and compare the site with a known-good copy.',
      '删除被注入的脚本标签和文件（CoinHive 类库、WebAssembly 矿机、WebSocket 代理），并与可信备份比对。',
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
