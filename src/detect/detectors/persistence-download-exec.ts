// Detector: a persistence entry (cron line, at job, systemd unit, rc.local, init script, shell
// start-up file, udev rule) that downloads code and runs it: `curl … | sh`, `wget -O- … | bash`, or
// a download saved to a file that is then executed. This is how mining campaigns re-infect a host
// every few minutes, and legitimate software does not install itself that way on a schedule.
import { downloadExec } from '../../shell/command.js';
import { entryLabel } from '../chain.js';
import { entryHit } from '../persistence.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';

export const persistenceDownloadExec: Detector = {
  id: 'persistence-download-exec',
  category: 'persistence',
  level: 'high',
  title: t('Persistence entry downloads and runs code', '持久化项下载并执行代码'),
  description: t(
    'Reads every parsed persistence entry (cron lines of /etc/crontab, /etc/cron.d and users\' crontabs, anacron and at jobs, systemd Exec lines with their drop-ins, rc.local, init scripts, shell start-up files, udev RUN programs) and flags a command that fetches something from the network with curl, wget, fetch, tftp or similar and runs it: piped into a shell or interpreter (also through a decoder such as base64 -d), passed to `sh -c "$(curl …)"`, or saved to a file that the same command then executes. Mining campaigns (Kinsing, WatchDog, TeamTNT and many others) use such a line to re-download their dropper every few minutes, so removing the miner alone does not help. When the entry leads to a running process, the hit joins that process\'s finding and the chain is shown.',
    '读取所有已解析的持久化项（/etc/crontab、/etc/cron.d 与用户 crontab 中的 cron 行、anacron 与 at 任务、systemd 的 Exec 行及其 drop-in、rc.local、init 脚本、shell 启动文件、udev 的 RUN 程序），标记用 curl、wget、fetch、tftp 等从网络获取内容并执行的命令：通过管道交给 shell 或解释器（包括经过 base64 -d 等解码器）、传给 `sh -c "$(curl …)"`，或保存为文件后由同一条命令执行。挖矿团伙（Kinsing、WatchDog、TeamTNT 等）常用这样的任务每隔几分钟重新下载投放器，因此只清除挖矿进程并不够。如果该持久化项指向一个正在运行的进程，命中会并入该进程的发现并显示完整链条。',
  ),
  tags: ['attack.t1053.003', 'attack.t1105', 'attack.t1059.004'],
  needs: ['persistence'],
  verify: t(
    'Open the file and line named in the evidence (`crontab -l -u <user>`, `systemctl cat <unit>`, `sed -n <line>p <file>`) and read the command; fetch the URL only from an isolated analysis machine, never on the host. `grep -r <host-from-url> /etc /var/spool/cron` finds other places that use it.',
    '打开证据中给出的文件与行（`crontab -l -u <用户>`、`systemctl cat <单元>`、`sed -n <行号>p <文件>`），阅读命令；只在隔离的分析机上获取该 URL，切勿在本机执行。`grep -r <URL 中的主机名> /etc /var/spool/cron` 可找出其他使用它的位置。',
  ),
  remediation: t(
    'Remove the entry (the cron line, the unit, the script line), quarantine the scripts and programs it leads to and stop the process tree it started. Clear immutable attributes first if the file has them (`chattr -i`). Then look for the same URL elsewhere and for the way in (exposed services, weak passwords, added ssh keys).',
    '删除该持久化项（cron 行、单元、脚本行），隔离它指向的脚本和程序，并结束它启动的进程树。如果文件带有不可修改属性，先清除（`chattr -i`）。然后在其他位置查找同一 URL，并排查入侵途径（暴露的服务、弱口令、被添加的 ssh 公钥）。',
  ),
  messages: {
    pipesToInterpreter: t(
      '{entry} downloads {url} and pipes it from {downloader} into an interpreter',
      '{entry}下载 {url}，通过 {downloader} 下载并经管道交给解释器执行',
    ),
    savesAndRuns: t(
      '{entry} downloads {url} and saves it with {downloader} to {savedTo} and runs it',
      '{entry}下载 {url}，用 {downloader} 保存到 {savedTo} 后执行',
    ),
  },
  detect(snapshot, ruleset) {
    const hits: Hit[] = [];
    for (const entry of snapshot.persistence?.entries ?? []) {
      const dl = downloadExec(entry.command);
      if (!dl) continue;
      const label = entryLabel(entry);
      const url = dl.url ?? '?';
      const who = entry.user ? ` (${entry.user})` : '';
      hits.push(
        entryHit(snapshot, ruleset, entry, {
          messageId: dl.how === 'pipe' ? 'pipesToInterpreter' : 'savesAndRuns',
          data: {
            // The entry as a reader names it, with the user it runs as.
            entry: t(`${label.en}${who}`, `${label['zh-CN']}${who}`),
            place: entry.place,
            file: entry.file,
            ...(entry.line !== undefined ? { line: entry.line } : {}),
            ...(entry.unit ? { unit: entry.unit.name } : {}),
            ...(entry.user ? { user: entry.user } : {}),
            url,
            downloader: dl.downloader,
            ...(dl.how === 'pipe' ? {} : { savedTo: dl.savedTo ?? '?' }),
          },
          match: {
            type: 'match',
            field: entry.place,
            value: entry.text ?? entry.command,
            ioc: `download and run: ${dl.downloader} ${url}`,
          },
        }),
      );
    }
    return hits;
  },
};
