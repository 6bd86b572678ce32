#Requires -Version 7.4
<#
.SYNOPSIS
    The soak benchmark: Invoke-AuthenticatedRequest -ThrottleLimit under injected faults, for minutes, in one or more sessions.
.DESCRIPTION
    Starts the emulator with --chaos SEED (on every protected resource: 5 % 503 with Retry-After 0 or 1, 2 % 429, 2 %
    connection resets, 2 % answers that take 1-3 s, 1 % 401, 1 % bodies cut short) and tokens that live -TokenLifetime
    seconds, then runs -Sessions fresh pwsh processes at once. Each pipes batches of -BatchSize URIs through
    Invoke-AuthenticatedRequest Ankorstore -ThrottleLimit -MaximumRetryCount 3 until -Minutes have passed, checks that
    every URI got its own result in order or exactly one error, and reports requests/s, errors by id, its connections
    to the emulator, and its memory (GC heap and working set) after a warm-up batch and at the end. The report adds
    the emulator's token requests beside what one per token lifetime plus one per injected 401 would be.
    A benchmark, not a test: nothing here asserts a time. Loopback only. -Module runs another build (a baseline).
    -JitReport counts, from the second minute on, the methods the JIT compiles by namespace (the runtime's own events,
    read in the session's process): what keeps compiling once the warm-up is over.
.EXAMPLE
    pwsh tests/bench/Invoke-Soak.ps1 -Minutes 5
.EXAMPLE
    pwsh tests/bench/Invoke-Soak.ps1 -Minutes 2 -Sessions 4
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'A benchmark report for the person at the console.')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'The emulator''s published demo credential, which protects nothing.')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'The session''s parameters are used in its nested functions, where the rule does not look.')]
[CmdletBinding()]
param (
    [double] $Minutes = 1, [int] $Sessions = 1, [int] $ThrottleLimit = 8, [int] $BatchSize = 200, [int] $Seed = 42, [int] $TokenLifetime = 20, [switch] $JitReport,
    [string] $Module = (Join-Path $PSScriptRoot '../../out/TokenAuth/TokenAuth.psd1')
)

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../pester/TokenAuth.TestSupport.psm1') -Force
$Module = (Resolve-Path $Module).Path

# One session, in a process of its own: what it did, as one JSON line on its last line of output.
$session = {
    param ($Module, $Base, $Port, $Minutes, $ThrottleLimit, $BatchSize, $JitReport)
    $ErrorActionPreference = 'Stop'
    Import-Module $Module
    if ($JitReport) {
        Add-Type -TypeDefinition @'
using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
public sealed class SoakJitCounter : EventListener
{
    public readonly ConcurrentDictionary<string, int> ByNamespace = new ConcurrentDictionary<string, int>();
    public volatile bool Counting;
    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x10);
    }
    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!Counting || e.EventName != "MethodJittingStarted_V1") return;
        var index = e.PayloadNames.IndexOf("MethodNamespace");
        var name = index < 0 ? "?" : (e.Payload[index] as string ?? "?");
        var tick = name.IndexOf('`'); if (tick > 0) name = name.Substring(0, tick);
        var plus = name.IndexOf('+'); if (plus > 0) name = name.Substring(0, plus);
        ByNamespace.AddOrUpdate(name, 1, (_, count) => count + 1);
    }
}
'@
        $jit = [SoakJitCounter]::new()
    }
    $credential = [pscredential]::new('demo-ankorstore-client', (ConvertTo-SecureString 'demo-ankorstore-secret-3q9z' -AsPlainText -Force))
    $target = @{ Provider = 'Ankorstore'; BaseUri = $Base; Credential = $credential; ThrottleLimit = $ThrottleLimit; MaximumRetryCount = 3 }

    function Measure-Memory {
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        $process = Get-Process -Id $PID
        # Beside the totals, what may grow outside the GC heap: memory the GC keeps committed, threads (a stack each),
        # and code the JIT compiles as tiered compilation promotes methods.
        [ordered]@{ GcHeapMB = [math]::Round([GC]::GetTotalMemory($false) / 1MB, 1); WorkingSetMB = [math]::Round($process.WorkingSet64 / 1MB, 1)
            PrivateMB = [math]::Round($process.PrivateMemorySize64 / 1MB, 1); GcCommittedMB = [math]::Round([GC]::GetGCMemoryInfo().TotalCommittedBytes / 1MB, 1)
            Threads = $process.Threads.Count; JitMethods = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
            JitILKB = [math]::Round([System.Runtime.JitInfo]::GetCompiledILBytes($false) / 1KB) }
    }

    # This process's TCP connections to the emulator, from its socket descriptors and the kernel's table (Linux).
    function Measure-Connection {
        $inodes = Get-ChildItem "/proc/$PID/fd" -ErrorAction Ignore | ForEach-Object { if ($_.LinkTarget -match '^socket:\[(\d+)\]$') { $Matches[1] } }
        $mine = [System.Collections.Generic.HashSet[string]]::new([string[]] @($inodes))
        $portHex = ':{0:X4}' -f $Port
        @(Get-Content /proc/net/tcp, /proc/net/tcp6 -ErrorAction Ignore | Select-Object -Skip 1 | ForEach-Object {
                $fields = $_.Trim() -split '\s+'
                if ($fields[2].EndsWith($portHex) -and $fields[3] -eq '01' -and $mine.Contains($fields[9])) { $_ }
            }).Count
    }

    function Invoke-Batch([int] $Start) {
        $uris = $Start..($Start + $BatchSize - 1) | ForEach-Object { "resources/echo?n=$_" }
        $failures = $null
        $results = @($uris | Invoke-AuthenticatedRequest @target -ErrorVariable failures -ErrorAction SilentlyContinue)
        # Every URI its own result, in order, or exactly one error.
        $answered = @($results.query.n | ForEach-Object { [int] $_ })
        $failed = @($failures | ForEach-Object { [int] ([regex]::Match("$($_.TargetObject)", 'n=(\d+)').Groups[1].Value) })
        $inOrder = ($answered -join ',') -eq ((@($answered | Sort-Object) -join ','))
        $complete = (@($answered + $failed | Sort-Object) -join ',') -eq (($Start..($Start + $BatchSize - 1)) -join ',')
        [pscustomobject]@{ Answered = $answered.Count; Failures = @($failures); Sound = $inOrder -and $complete }
    }

    $null = Invoke-Batch 0
    $start = Measure-Memory
    $errors = @{}
    $requests = 0
    $unsound = 0
    $peakWorkingSetMB = 0
    $samples = [Collections.Generic.List[object]]::new()
    $watch = [Diagnostics.Stopwatch]::StartNew()
    while ($watch.Elapsed.TotalMinutes -lt $Minutes) {
        # One sample a minute: whether memory settles after the warm-up or keeps growing.
        if ($watch.Elapsed.TotalMinutes -ge $samples.Count + 1) {
            $samples.Add((Measure-Memory))
            if ($JitReport) { $jit.Counting = $true }
        }
        $batch = Invoke-Batch ($requests + $BatchSize)
        $requests += $BatchSize
        if (-not $batch.Sound) { $unsound++ }
        foreach ($failure in $batch.Failures) {
            $status = if ($failure.Exception.PSObject.Properties['StatusCode']) { " $([int] $failure.Exception.StatusCode)" } else { '' }
            $key = $failure.FullyQualifiedErrorId.Split(',')[0] + $status
            $errors[$key] = 1 + $errors[$key]
        }
        $peakWorkingSetMB = [math]::Max($peakWorkingSetMB, [math]::Round((Get-Process -Id $PID).WorkingSet64 / 1MB, 1))
    }
    $seconds = $watch.Elapsed.TotalSeconds
    [ordered]@{
        Requests = $requests; Seconds = [math]::Round($seconds, 1); PerSecond = [math]::Round($requests / $seconds, 1); UnsoundBatches = $unsound
        Errors = $errors; ConnectionsAtEnd = Measure-Connection; MemoryAfterWarmUp = $start; MemoryAtEnd = Measure-Memory; PeakWorkingSetMB = $peakWorkingSetMB
        EachMinute = $samples
        JitAfterFirstMinute = if ($JitReport) {
            $all = @($jit.ByNamespace.GetEnumerator())
            $ours = ($all | Where-Object Key -Like 'TokenAuth*' | Measure-Object Value -Sum).Sum
            @("in all $(($all | Measure-Object Value -Sum).Sum), TokenAuth's own $([int] $ours)") +
                @($all | Sort-Object Value -Descending | Select-Object -First 15 | ForEach-Object { "$($_.Key) $($_.Value)" })
        }
    } | ConvertTo-Json -Compress -Depth 5
}

$emulator = Start-TokenAuthEmulator -ArgumentList '--chaos', $Seed, '--token-lifetime', "ankorstore=$TokenLifetime"
try {
    $base = Get-TokenAuthEmulatorBaseUri -Emulator $emulator -Provider Ankorstore
    $pwsh = (Get-Process -Id $PID).Path
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes("& { $session } '$Module' '$base' $($emulator.Port) $Minutes $ThrottleLimit $BatchSize `$$([bool] $JitReport)"))
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $processes = 1..$Sessions | ForEach-Object {
        $out = [IO.Path]::GetTempFileName()
        [pscustomobject]@{ Out = $out; Process = Start-Process $pwsh -ArgumentList '-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded -RedirectStandardOutput $out -PassThru }
    }
    $processes.Process | Wait-Process
    $seconds = $watch.Elapsed.TotalSeconds
    $reports = foreach ($process in $processes) {
        $lines = Get-Content $process.Out
        Remove-Item $process.Out
        $last = $lines | Select-Object -Last 1
        if ($last -notlike '{*') { throw "A session failed: $($lines -join "`n")" }
        $last | ConvertFrom-Json
    }
    $counters = Invoke-RestMethod "$($emulator.Root)_emulator/counters"
    $injected401 = [int] $counters.'chaos/401'
    $lifetimes = [math]::Ceiling($seconds / $TokenLifetime)
    Write-Host ("{0} session(s), -ThrottleLimit {1}, batches of {2}, {3:0.0} min, seed {4}, tokens living {5} s; module {6}" -f $Sessions, $ThrottleLimit, $BatchSize, ($seconds / 60), $Seed, $TokenLifetime, $Module)
    $number = 0
    foreach ($report in $reports) {
        $number++
        $errors = ($report.Errors.PSObject.Properties | ForEach-Object { "$($_.Name) x$($_.Value)" }) -join ', '
        Write-Host ("  session {0}: {1} requests in {2} s = {3} requests/s; batches out of order or incomplete: {4}; errors: {5}; connections at end: {6}" -f $number, $report.Requests, $report.Seconds, $report.PerSecond, $report.UnsoundBatches, $(if ($errors) { $errors } else { 'none' }), $report.ConnectionsAtEnd)
        $from = $report.MemoryAfterWarmUp; $to = $report.MemoryAtEnd
        Write-Host ("    GC heap {0} -> {1} MB (committed {2} -> {3} MB), working set {4} -> {5} MB (peak {6} MB), private {7} -> {8} MB" -f $from.GcHeapMB, $to.GcHeapMB, $from.GcCommittedMB, $to.GcCommittedMB, $from.WorkingSetMB, $to.WorkingSetMB, $report.PeakWorkingSetMB, $from.PrivateMB, $to.PrivateMB)
        Write-Host ("    threads {0} -> {1}; JIT-compiled methods {2} -> {3} ({4} -> {5} KB of IL)" -f $from.Threads, $to.Threads, $from.JitMethods, $to.JitMethods, $from.JitILKB, $to.JitILKB)
        if ($report.EachMinute) {
            Write-Host ("    each minute, GC heap MB: {0}" -f (($report.EachMinute | ForEach-Object GcHeapMB) -join ' '))
            Write-Host ("    each minute, working set MB: {0}" -f (($report.EachMinute | ForEach-Object WorkingSetMB) -join ' '))
            Write-Host ("    each minute, JIT-compiled methods: {0}" -f (($report.EachMinute | ForEach-Object JitMethods) -join ' '))
        }
        if ($report.JitAfterFirstMinute) {
            Write-Host ("    compiled after the first minute, by namespace: {0}" -f ($report.JitAfterFirstMinute -join ', '))
        }
    }
    $chaos = ($counters.PSObject.Properties | Where-Object Name -Like 'chaos/*' | ForEach-Object { "$($_.Name.Substring(6)) x$($_.Value)" }) -join ', '
    Write-Host ("  all sessions together {0:0.0} requests/s (over the whole run, process start-up included); injected: {1}" -f (($reports.Requests | Measure-Object -Sum).Sum / $seconds), $chaos)
    Write-Host ("  token requests: {0}, against {1} lifetimes x {2} session(s) + {3} injected 401s = {4}" -f [int] $counters.'ankorstore/token', $lifetimes, $Sessions, $injected401, ($lifetimes * $Sessions + $injected401))
}
finally {
    Stop-TokenAuthEmulator -Emulator $emulator
}
