// The PowerShell text that reads a running Windows system for `windows-live` targets: processes
// (Win32_Process), TCP connections and UDP endpoints with their owning process, services and drivers,
// scheduled tasks, WMI permanent subscriptions, Run keys, Winlogon, Defender's state and exclusions
// and the system's name and build, printed as ONE compressed JSON document. Each part sits in its own
// try/catch, so a part PowerShell cannot read (no NetTCPIP module, Defender removed, access denied)
// becomes an entry in `errors` and the others are still printed. Read-only: Get-* cmdlets only.

/**
 * How the script is run: a one-line command reads it from stdin and runs it as one script block.
 * `-Command -` alone would read stdin line by line like an interactive prompt, where a multi-line
 * `try { … }` needs a blank line to end; `-EncodedCommand` would look like the very thing minehunter
 * flags in others' command lines. The script is ASCII, so the console's input code page is no issue.
 */
export const POWERSHELL_ARGS = [
  '-NoProfile',
  '-NonInteractive',
  '-ExecutionPolicy',
  'Bypass',
  '-OutputFormat',
  'Text',
  '-Command',
  '& ([ScriptBlock]::Create([Console]::In.ReadToEnd()))',
] as const;

/** The parts of the document, in the order the script reads them (each one has its try/catch). */
export const LIVE_PARTS = [
  'system',
  'processes',
  'connections',
  'udp',
  'services',
  'drivers',
  'tasks',
  'wmiFilters',
  'wmiConsumers',
  'wmiBindings',
  'runKeys',
  'defenderStatus',
  'defenderPreference',
] as const;
export type LivePart = (typeof LIVE_PARTS)[number];

/** The body of each part: a PowerShell expression assigned to `$out.<part>`. */
const BODIES: Record<LivePart, string> = {
  system: `$os = Get-CimInstance -ClassName Win32_OperatingSystem
  $cs = Get-CimInstance -ClassName Win32_ComputerSystem
  [ordered]@{ ComputerName = $env:COMPUTERNAME; Caption = $os.Caption; Version = $os.Version;
    BuildNumber = $os.BuildNumber; LastBootUpTime = $os.LastBootUpTime;
    NumberOfLogicalProcessors = $cs.NumberOfLogicalProcessors }`,
  // CommandLine and ExecutablePath are null for protected processes unless run elevated.
  processes: `Get-CimInstance -ClassName Win32_Process | Select-Object ProcessId, ParentProcessId, Name,
    CommandLine, ExecutablePath, CreationDate, KernelModeTime, UserModeTime, WorkingSetSize, ThreadCount`,
  connections: `Get-NetTCPConnection | Select-Object LocalAddress, LocalPort, RemoteAddress, RemotePort,
    State, OwningProcess`,
  udp: `Get-NetUDPEndpoint | Select-Object LocalAddress, LocalPort, OwningProcess`,
  // A shared-process service runs svchost -k …: the DLL it loads is only in its Parameters key.
  services: `Get-CimInstance -ClassName Win32_Service | Select-Object Name, DisplayName, Description,
    PathName, StartMode, State, ServiceType, StartName, @{ Name = 'ServiceDll'; Expression = {
      if ($_.ServiceType -eq 'Share Process') { (Get-ItemProperty -ErrorAction SilentlyContinue -LiteralPath
        "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\$($_.Name)\\Parameters").ServiceDll } } }`,
  drivers: `Get-CimInstance -ClassName Win32_SystemDriver | Select-Object Name, DisplayName, Description,
    PathName, StartMode, State, ServiceType`,
  tasks: `Get-ScheduledTask | ForEach-Object {
    [ordered]@{ TaskPath = $_.TaskPath; TaskName = $_.TaskName; State = $_.State;
      Author = $_.Author; Description = $_.Description; Date = $_.Date;
      Hidden = $_.Settings.Hidden; Enabled = $_.Settings.Enabled;
      UserId = $_.Principal.UserId; RunLevel = $_.Principal.RunLevel;
      Triggers = @($_.Triggers | ForEach-Object { [ordered]@{
        Class = $_.CimClass.CimClassName; Repetition = $_.Repetition.Interval } });
      Actions = @($_.Actions | ForEach-Object { [ordered]@{
        Class = $_.CimClass.CimClassName; Execute = $_.Execute; Arguments = $_.Arguments;
        WorkingDirectory = $_.WorkingDirectory; ClassId = $_.ClassId } }) } }`,
  wmiFilters: `Get-CimInstance -Namespace root\\subscription -ClassName __EventFilter |
    Select-Object Name, Query, QueryLanguage, EventNamespace`,
  wmiConsumers: `Get-CimInstance -Namespace root\\subscription -ClassName __EventConsumer | ForEach-Object {
    [ordered]@{ Class = $_.CimClass.CimClassName; Name = $_.Name;
      CommandLineTemplate = $_.CommandLineTemplate; ExecutablePath = $_.ExecutablePath;
      ScriptingEngine = $_.ScriptingEngine; ScriptText = $_.ScriptText; ScriptFileName = $_.ScriptFileName } }`,
  wmiBindings: `Get-CimInstance -Namespace root\\subscription -ClassName __FilterToConsumerBinding | ForEach-Object {
    [ordered]@{ Filter = $_.Filter.Name; Consumer = $_.Consumer.Name;
      ConsumerClass = $_.Consumer.CimSystemProperties.ClassName } }`,
  // The HKCU keys are those of the account minehunter runs as.
  runKeys: `$keys = @(
    'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
    'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce',
    'HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Run',
    'HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\RunOnce',
    'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer\\Run',
    'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon',
    'HKCU:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
    'HKCU:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce',
    'HKCU:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer\\Run',
    'HKCU:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon')
  $keys | Where-Object { Test-Path -LiteralPath $_ } | ForEach-Object {
    $p = Get-ItemProperty -LiteralPath $_
    [ordered]@{ Key = $_; User = $env:USERNAME; Values = @($p.PSObject.Properties |
      Where-Object { $_.Name -notin @('PSPath', 'PSParentPath', 'PSChildName', 'PSDrive', 'PSProvider') } |
      ForEach-Object { [ordered]@{ Name = $_.Name; Data = [string]$_.Value } }) } }`,
  defenderStatus: `Get-MpComputerStatus | Select-Object AMServiceEnabled, AntivirusEnabled,
    RealTimeProtectionEnabled, BehaviorMonitorEnabled, IsTamperProtected, AntivirusSignatureLastUpdated`,
  defenderPreference: `Get-MpPreference | Select-Object ExclusionPath, ExclusionProcess, ExclusionExtension,
    ExclusionIpAddress, DisableRealtimeMonitoring`,
};

/** The parts that are one object; the others are lists. */
const SINGLE: ReadonlySet<LivePart> = new Set(['system', 'defenderStatus', 'defenderPreference']);

/**
 * One part: its result, or its error message as an entry of `errors`, never a failed script. A list
 * is collected with `@(…)` so that one item stays a list (the parser accepts a lone object anyway).
 */
function part(name: LivePart): string {
  const [open, close] = SINGLE.has(name) ? ['& {', '}'] : ['@(& {', '})'];
  return [
    'try {',
    `  $out.${name} = ${open}`,
    `  ${BODIES[name]}`,
    `  ${close}`,
    '} catch {',
    `  $out.errors += [ordered]@{ part = '${name}'; message = [string]$_.Exception.Message }`,
    '}',
  ].join('\n');
}

/**
 * The whole script. UTF-8 output (Windows PowerShell 5.1 would otherwise print in the console's
 * code page), `Stop` so that a cmdlet's non-terminating error reaches the part's catch, and one
 * `ConvertTo-Json -Depth 6 -Compress` at the end: tasks' actions are four levels deep.
 */
export function liveScript(): string {
  return [
    '[Console]::OutputEncoding = [Text.Encoding]::UTF8',
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    '$out = [ordered]@{ format = 1; errors = @() }',
    ...LIVE_PARTS.map(part),
    '$out | ConvertTo-Json -Depth 6 -Compress',
    '',
  ].join('\n');
}
