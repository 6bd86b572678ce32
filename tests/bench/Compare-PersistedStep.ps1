#Requires -Version 7.4
<#
.SYNOPSIS
    A fresh pwsh step with a token persisted in a SecretStore vault, against the same step asking the provider.
.DESCRIPTION
    Whole-process wall time of a new pwsh (-NoProfile -NonInteractive -Command), as a scheduled task's run or a
    pipeline's step pays it: start-up, module import, the token, one API request to the emulator's APIMW, exit.
      Token request      Invoke-AuthenticatedRequest with the session's memory alone: one token request
      Persisted token    the same after Set-TokenAuthOption -TokenCacheVault TokenAuthStore, with a valid entry in
                         the vault: SecretManagement and SecretStore loaded and the entry read, no token request
    Both run in a home of their own with a real Microsoft.PowerShell.SecretStore vault configured for unattended use
    (the user's store is never touched), in -Rounds paired rounds, the order reversed every other round; the report
    gives each step's median and spread and the median of the per-round differences and ratios. The emulator answers
    a token request on loopback in about a millisecond, far quicker than a real provider over a network:
    -TokenLatencyMs delays each token answer (the emulator's delay fault) to stand for one, 0 by default. The
    emulator's counters confirm that the persisted step asked for no token. Needs a build (dotnet build TokenAuth.sln).
.EXAMPLE
    pwsh tests/bench/Compare-PersistedStep.ps1 -Rounds 15
    pwsh tests/bench/Compare-PersistedStep.ps1 -Rounds 15 -TokenLatencyMs 150
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'A benchmark report for the person at the console.')]
[CmdletBinding()]
param ([int] $Rounds = 15, [int] $TokenLatencyMs = 0)

$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
Import-Module (Join-Path $root 'tests/pester/TokenAuth.TestSupport.psm1') -Force

$emulator = Start-TokenAuthEmulator
$storeHome = Join-Path ([System.IO.Path]::GetTempPath()) ("tokenauth-bench-" + [guid]::NewGuid().ToString('N'))
try {
    $demo = (Invoke-RestMethod "$($emulator.Root)_emulator/credentials").apimw
    $base = Get-TokenAuthEmulatorBaseUri -Emulator $emulator -Provider APIMW
    $request = "`$credential = [pscredential]::new('$($demo.apiKey)', [System.Net.NetworkCredential]::new('', '$($demo.apiSecret)').SecurePassword); " +
        "`$null = Invoke-AuthenticatedRequest APIMW -BaseUri '$base' -Uri resources/sample -Credential `$credential -ErrorAction Stop"
    $steps = [ordered]@{
        'Token request'   = $request
        'Persisted token' = "Set-TokenAuthOption -TokenCacheVault TokenAuthStore; $request"
    }

    $ready = Invoke-TokenAuthFreshPwsh -IsolatedHome $storeHome ((Get-TokenAuthSecretStoreScript) + "'ready'")
    if ($ready -notcontains 'ready') { throw "The SecretStore vault could not be made: $ready" }
    # The entry every persisted step reads.
    $null = Invoke-TokenAuthFreshPwsh -IsolatedHome $storeHome $steps['Persisted token']

    $wall = @{}
    foreach ($name in $steps.Keys) { $wall[$name] = [System.Collections.Generic.List[double]]::new() }
    $differences = [System.Collections.Generic.List[double]]::new()
    $ratios = [System.Collections.Generic.List[double]]::new()
    $tokenRequests = @{ 'Token request' = 0; 'Persisted token' = 0 }

    foreach ($round in 1..$Rounds) {
        $order = if ($round % 2) { @($steps.Keys) } else { @($steps.Keys)[1, 0] }
        $this = @{}
        foreach ($name in $order) {
            Reset-TokenAuthEmulator -Emulator $emulator
            if ($TokenLatencyMs -gt 0) {
                Add-TokenAuthEmulatorFault -Emulator $emulator -Provider APIMW -Endpoint token -DelayMilliseconds $TokenLatencyMs -DelayOnly
            }
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $output = Invoke-TokenAuthFreshPwsh -IsolatedHome $storeHome $steps[$name]
            $clock.Stop()
            if ($LASTEXITCODE -ne 0) { throw "The step '$name' failed (exit code $LASTEXITCODE): $output" }
            $tokenRequests[$name] += [int] (Get-TokenAuthEmulatorCounter -Emulator $emulator -Key 'apimw/token')
            $this[$name] = $clock.Elapsed.TotalMilliseconds
            $wall[$name].Add($this[$name])
        }
        $differences.Add($this['Token request'] - $this['Persisted token'])
        $ratios.Add($this['Persisted token'] / $this['Token request'])
        Write-Host ("  round {0,2}: token request {1:0} ms, persisted {2:0} ms" -f $round, $this['Token request'], $this['Persisted token'])
    }

    Write-Host "Fresh pwsh step, APIMW on the emulator, token answer delayed $TokenLatencyMs ms, $Rounds paired rounds ($(Split-Path $PSHOME -Leaf), PowerShell $($PSVersionTable.PSVersion)):"
    foreach ($name in $steps.Keys) {
        $all = $wall[$name].ToArray()
        Write-Host ("  {0,-16} median {1:0} ms ({2:0}-{3:0}), {4} token request(s) in all" -f $name, (Get-TokenAuthMedian $all), ($all | Measure-Object -Minimum).Minimum,
            ($all | Measure-Object -Maximum).Maximum, $tokenRequests[$name])
    }
    Write-Host ("  persisted saves a median {0:0} ms a step ({1:0}-{2:0}); persisted / token request: median {3:0.00}x ({4:0.00}-{5:0.00})" -f (Get-TokenAuthMedian $differences.ToArray()),
        ($differences | Measure-Object -Minimum).Minimum, ($differences | Measure-Object -Maximum).Maximum, (Get-TokenAuthMedian $ratios.ToArray()),
        ($ratios | Measure-Object -Minimum).Minimum, ($ratios | Measure-Object -Maximum).Maximum)
}
finally {
    Stop-TokenAuthEmulator -Emulator $emulator
    Remove-Item -Recurse -Force $storeHome -ErrorAction Ignore
}
