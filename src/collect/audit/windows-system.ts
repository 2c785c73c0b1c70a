// The rest of a Windows volume's audit facts (issue 22, source §3.1, §3.6, §3.7): service start types
// (Browser, LanmanServer, the SMBv1 drivers), SMB sharing settings and shares, the OS build and UBR
// with the last servicing package installed, Windows Update's policy, Remote Desktop and NLA, and
// Winlogon's autologon — whose stored password is recorded as present, never read.
import type { Hive, RegKey } from '../../target/windows/registry/index.js';
import type { WindowsAuditFacts, WindowsServiceStart } from '../../snapshot/audit-windows.js';
import { serviceStart } from '../windows/registry-services.js';
import { iso, Values } from '../windows/registry-read.js';

/** The services the checks look at: SMB server and browser, SMBv1 server/client drivers, Defender, RDP. */
export const AUDITED_SERVICES = ['Browser', 'LanmanServer', 'srv', 'mrxsmb10', 'WinDefend', 'TermService'];

const NTCV = 'Microsoft\\Windows NT\\CurrentVersion';
const CBS_PACKAGES = 'Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\Packages';
const WU_POLICY = 'Policies\\Microsoft\\Windows\\WindowsUpdate\\AU';
/** Servicing packages looked at for the newest install (a real system has a few thousand). */
const MAX_PACKAGES = 20_000;

export function readServiceStarts(services: RegKey | undefined, keyBase: string): WindowsServiceStart[] {
  return AUDITED_SERVICES.map((name) => {
    const k = services?.subkey(name);
    const out: WindowsServiceStart = { name, key: `${keyBase}\\${name}`, present: k !== undefined };
    if (!k) return out;
    const n = new Values(k).number('Start');
    if (n !== undefined) out.startValue = n;
    out.start = serviceStart(n);
    return out;
  });
}

export function readSharing(services: RegKey | undefined, keyBase: string): WindowsAuditFacts['sharing'] {
  const lanman = services?.subkey('LanmanServer');
  const params = lanman?.subkey('Parameters');
  const out: NonNullable<WindowsAuditFacts['sharing']> = {
    key: `${keyBase}\\LanmanServer\\Parameters`,
    sharesKey: `${keyBase}\\LanmanServer\\Shares`,
    shares: [],
  };
  if (params) {
    const v = new Values(params);
    const smb1 = v.number('SMB1');
    const server = v.number('AutoShareServer');
    const wks = v.number('AutoShareWks');
    if (smb1 !== undefined) out.smb1 = smb1;
    if (server !== undefined) out.autoShareServer = server;
    if (wks !== undefined) out.autoShareWks = wks;
  }
  for (const v of lanman?.subkey('Shares')?.values() ?? []) {
    if (out.shares.length >= 1000) break;
    // REG_MULTI_SZ of `Key=Value` lines: Path=, Type=, Remark=…
    const lines = v.strings() ?? [];
    const path = lines.find((l) => /^path=/i.test(l))?.slice(5);
    out.shares.push({ name: v.name, ...(path !== undefined ? { path } : {}) });
  }
  return out;
}

/** The newest `InstallTimeHigh/Low` of a servicing package (falling back to the key's last write). */
function lastPackageInstalled(software: Hive): string | undefined {
  const packages = software.lookup(CBS_PACKAGES);
  if (!packages) return undefined;
  let newest = 0;
  let seen = 0;
  for (const k of packages.subkeys()) {
    if (++seen > MAX_PACKAGES) break;
    const v = new Values(k);
    const hi = v.number('InstallTimeHigh');
    const lo = v.number('InstallTimeLow');
    const ms =
      hi !== undefined && lo !== undefined
        ? (hi * 4294967296 + lo) / 10000 - 11644473600000
        : (k.lastWritten?.getTime() ?? 0);
    if (Number.isFinite(ms) && ms > newest) newest = ms;
  }
  return newest > 0 ? iso(new Date(newest)) : undefined;
}

export function readOs(software: Hive): WindowsAuditFacts['os'] {
  const out: NonNullable<WindowsAuditFacts['os']> = { key: `HKLM\\SOFTWARE\\${NTCV}` };
  const cv = software.lookup(NTCV);
  if (cv) {
    const v = new Values(cv);
    const productName = v.text('ProductName');
    const displayVersion = v.text('DisplayVersion') ?? v.text('ReleaseId');
    const build = v.text('CurrentBuild') ?? v.text('CurrentBuildNumber');
    const ubr = v.number('UBR');
    if (productName) out.productName = productName;
    if (displayVersion) out.displayVersion = displayVersion;
    if (build) out.currentBuild = build;
    if (ubr !== undefined) out.ubr = ubr;
  }
  const last = lastPackageInstalled(software);
  if (last) out.lastUpdateInstalled = last;
  return out;
}

export function readWindowsUpdate(software: Hive): WindowsAuditFacts['windowsUpdate'] {
  const out: NonNullable<WindowsAuditFacts['windowsUpdate']> = { key: `HKLM\\SOFTWARE\\${WU_POLICY}` };
  const k = software.lookup(WU_POLICY);
  if (k) {
    const v = new Values(k);
    const no = v.number('NoAutoUpdate');
    const opt = v.number('AUOptions');
    if (no !== undefined) out.noAutoUpdate = no;
    if (opt !== undefined) out.auOptions = opt;
  }
  return out;
}

export function readRdp(system: Hive, controlSet: string): WindowsAuditFacts['rdp'] {
  const rel = `${controlSet}\\Control\\Terminal Server`;
  const out: NonNullable<WindowsAuditFacts['rdp']> = {
    key: `HKLM\\SYSTEM\\${rel}`,
    rdpTcpKey: `HKLM\\SYSTEM\\${rel}\\WinStations\\RDP-Tcp`,
  };
  const ts = system.lookup(rel);
  const deny = ts ? new Values(ts).number('fDenyTSConnections') : undefined;
  if (deny !== undefined) out.fDenyTSConnections = deny;
  const rdp = ts?.subkey('WinStations')?.subkey('RDP-Tcp');
  const nla = rdp ? new Values(rdp).number('UserAuthentication') : undefined;
  if (nla !== undefined) out.userAuthentication = nla;
  return out;
}

export function readWinlogon(software: Hive): WindowsAuditFacts['winlogon'] {
  const rel = `${NTCV}\\Winlogon`;
  const k = software.lookup(rel);
  const v = k ? new Values(k) : undefined;
  const out: NonNullable<WindowsAuditFacts['winlogon']> = {
    key: `HKLM\\SOFTWARE\\${rel}`,
    // Only whether a password is there: its text never enters the snapshot.
    defaultPasswordStored: (v?.text('DefaultPassword') ?? '') !== '',
  };
  const auto = v?.text('AutoAdminLogon');
  const user = v?.text('DefaultUserName');
  if (auto !== undefined) out.autoAdminLogon = auto;
  if (user !== undefined) out.defaultUserName = user;
  return out;
}
