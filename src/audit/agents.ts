// The anti-virus, EDR and cloud security agents the audit knows: where they install, what is left
// behind when they are deleted, and their process names. Mining scripts (e.g. the ones that run
// `/usr/local/aegis/uninstall.sh` or `pkill YDService`) stop or delete exactly these.

export interface AgentSpec {
  id: string;
  name: string;
  /** Cloud security agents are the ones miners kill; a stopped one fails `security-agent-tampered`. */
  cloud: boolean;
  /** Install directories or binaries: one existing means installed. */
  paths: string[];
  /** Files that outlive a deleted agent (service units, init scripts, rc.local lines are not listed). */
  traces: string[];
  /** Task names (/proc/PID/comm, 15 chars) of its processes: one running means it runs. */
  processes: RegExp;
}

export const AGENTS: AgentSpec[] = [
  {
    id: 'aliyun-aegis',
    name: 'Alibaba Cloud Security Center (aegis / AliYunDun)',
    cloud: true,
    paths: ['/usr/local/aegis'],
    traces: [
      '/etc/init.d/aegis',
      '/etc/systemd/system/aegis.service',
      '/usr/lib/systemd/system/aegis.service',
    ],
    processes: /^(?:AliYunDun|AliYunDunUpdate|AliYunDunMonito|AliSecGuard|aegis_cli)/,
  },
  {
    id: 'aliyun-cloudmonitor',
    name: 'Alibaba Cloud CloudMonitor (argusagent)',
    cloud: true,
    paths: ['/usr/local/cloudmonitor'],
    traces: ['/etc/init.d/cloudmonitor', '/etc/systemd/system/cloudmonitor.service'],
    processes: /^(?:argusagent|CmsGoAgent)/,
  },
  {
    id: 'qcloud-yunjing',
    name: 'Tencent Cloud Workload Protection (YunJing)',
    cloud: true,
    paths: ['/usr/local/qcloud/YunJing'],
    traces: ['/etc/systemd/system/YDService.service', '/etc/init.d/YDService'],
    processes: /^(?:YDService|YDLive|YDEdr)/,
  },
  {
    id: 'qcloud-barad',
    name: 'Tencent Cloud monitor (barad / sgagent)',
    cloud: true,
    paths: ['/usr/local/qcloud/monitor', '/usr/local/qcloud/stargate'],
    traces: ['/etc/init.d/barad_agent', '/etc/systemd/system/barad_agent.service'],
    processes: /^(?:barad_agent|sgagent)/,
  },
  {
    id: 'baidu-bcm',
    name: 'Baidu Cloud monitor (BCM agent) / HostEye',
    cloud: true,
    paths: ['/opt/bcm-agent', '/opt/hosteye'],
    traces: ['/etc/systemd/system/bcm-agent.service', '/etc/init.d/hosteye'],
    processes: /^(?:bcm-agent|hosteye)/,
  },
  {
    id: 'huawei-hss',
    name: 'Huawei Cloud Host Security (HostGuard)',
    cloud: true,
    paths: ['/usr/local/hostguard'],
    traces: ['/etc/init.d/hostguard', '/etc/systemd/system/hostguard.service'],
    processes: /^(?:hostguard|hostwatch)/,
  },
  {
    id: 'crowdstrike',
    name: 'CrowdStrike Falcon',
    cloud: false,
    paths: ['/opt/CrowdStrike'],
    traces: ['/usr/lib/systemd/system/falcon-sensor.service'],
    processes: /^falcon-sensor/,
  },
  {
    id: 'mdatp',
    name: 'Microsoft Defender for Endpoint',
    cloud: false,
    paths: ['/opt/microsoft/mdatp'],
    traces: ['/usr/lib/systemd/system/mdatp.service'],
    processes: /^wdavdaemon/,
  },
  {
    id: 'sentinelone',
    name: 'SentinelOne',
    cloud: false,
    paths: ['/opt/sentinelone'],
    traces: ['/usr/lib/systemd/system/sentinelone.service'],
    processes: /^s1-agent/,
  },
  {
    id: 'wazuh',
    name: 'Wazuh / OSSEC agent',
    cloud: false,
    paths: ['/var/ossec'],
    traces: ['/usr/lib/systemd/system/wazuh-agent.service'],
    processes: /^(?:wazuh-|ossec-)/,
  },
  {
    id: 'clamav',
    name: 'ClamAV',
    cloud: false,
    paths: ['/usr/bin/clamscan', '/usr/sbin/clamd'],
    traces: [],
    processes: /^(?:clamd|freshclam)$/,
  },
];
