#Requires -Version 7.4
<#
.SYNOPSIS
    A fresh pwsh step with a token persisted in a SecretStore vault, against the same step asking the provider.
.DESCRIPTION
    Whole-process wall time of a new pwsh (-NoProfile -NonInteractive -Command), as a scheduled task's run or a
    pipeline's step pays it: start-up, module import, the token, one API request to the emulator's APIMW, exit.
      token request      Invoke-AuthenticatedRequest with the session's memory alone: one token request
      persisted token    the same after Set-TokenAuthOption -TokenCacheVault TokenAuthStore, with a valid entry in
                         the vault: the entry read, no token request
    each in two settings: the credential read from the same vault (TokenAuth.APIMW, as the module documents it, so
    that SecretManagement and SecretStore are loaded either way), and passed in with -Credential (so that the
    persisted step alone loads them; -VaultCredentialOnly leaves this one out). All run in a home of their own with a real Microsoft.PowerShell.SecretStore vault configured for unattended use
    (the user's store is never touched). -ByDefinition adds a pair that opts in as a scheduled task's or an agent's setup
    would, once: two copies of APIMW's definition registered with -Persist, one naming the vault (tokenCacheVault), so
    that both steps run the same one command and differ only in where the token comes from. They run in -Rounds paired rounds, the order reversed every other round; the report
    gives each step's median and spread and the median of the per-round differences and ratios. The emulator answers
    a token request on loopback in about a millisecond, far quicker than a real provider over a network:
    -TokenLatencyMs delays each token answer (the emulator's delay fault) to stand for one, 0 by default; given
    several, every pair runs with each of them in the same rounds, which shows where persisting starts to pay (from a
    shell, through -Command: -File hands '0,10' over as one string, which PowerShell reads as the number 10). The
    emulator's counters confirm that the persisted step asked for no token. Needs a Release build (dotnet build TokenAuth.sln -c Release: a Debug build runs unoptimized, and is refused).
.EXAMPLE
    pwsh tests/bench/Compare-PersistedStep.ps1 -Rounds 15
    pwsh -Command './tests/bench/Compare-PersistedStep.ps1 -Rounds 15 -TokenLatencyMs 0, 10, 25, 50'
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'A benchmark report for the person at the console.')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'The emulator publishes its demo credentials; they protect nothing.')]
[CmdletBinding()]
param ([int] $Rounds = 15, [ValidateRange(0, 10000)] [int[]] $TokenLatencyMs = @(0), [switch] $VaultCredentialOnly, [switch] $ByDefinition)

$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
Import-Module (Join-Path $root 'tests/pester/TokenAuth.TestSupport.psm1') -Force
Assert-TokenAuthReleaseBuild

$emulator = Start-TokenAuthEmulator
$storeHome = Join-Path ([System.IO.Path]::GetTempPath()) ("tokenauth-bench-" + [guid]::NewGuid().ToString('N'))
try {
    $demo = (Invoke-RestMethod "$($emulator.Root)_emulator/credentials").apimw
    $base = Get-TokenAuthEmulatorBaseUri -Emulator $emulator -Provider APIMW
    $passed = "`$credential = [pscredential]::new('$($demo.apiKey)', [System.Net.NetworkCredential]::new('', '$($demo.apiSecret)').SecurePassword); " +
        "`$null = Invoke-AuthenticatedRequest APIMW -BaseUri '$base' -Uri resources/sample -Credential `$credential -ErrorAction Stop"
    $fromVault = "`$null = Invoke-AuthenticatedRequest APIMW -BaseUri '$base' -Uri resources/sample -ErrorAction Stop"
    $persist = 'Set-TokenAuthOption -TokenCacheVault TokenAuthStore; '
    # Two settings, each a pair: the credential from the vault (TokenAuth.APIMW, as the module documents it), and passed in;
    # each pair with each token latency.
    $pairs = [ordered]@{}
    foreach ($latency in $TokenLatencyMs) {
        $pairs["credential from the vault, token answer $latency ms"] = [pscustomobject]@{ Steps = @($fromVault, ($persist + $fromVault)); Latency = $latency }
        if (-not $VaultCredentialOnly) {
            $pairs["credential passed in, token answer $latency ms"] = [pscustomobject]@{ Steps = @($passed, ($persist + $passed)); Latency = $latency }
        }
        if ($ByDefinition) {
            $pairs["opted in by a persisted definition, token answer $latency ms"] = [pscustomobject]@{ Steps = @($fromVault.Replace('APIMW', 'ApimwAsking'),
                $fromVault.Replace('APIMW', 'ApimwPersisting')); Latency = $latency }
        }
    }

    $secret = "([pscredential]::new('$($demo.apiKey)', (ConvertTo-SecureString '$($demo.apiSecret)' -AsPlainText -Force)))"
    # The -ByDefinition pair's two copies of APIMW's definition, kept for every later session of the home as -Persist keeps them.
    $copies = "foreach (`$copy in 'ApimwAsking', 'ApimwPersisting') { `$definition = (Get-TokenAuthProvider APIMW).DefinitionJson | ConvertFrom-Json -AsHashtable; " +
        "`$definition.name = `$copy; if (`$copy -eq 'ApimwPersisting') { `$definition.tokenCacheVault = 'TokenAuthStore' }; `$file = Join-Path `$HOME (`$copy + '.json'); " +
        "`$definition | ConvertTo-Json -Depth 10 | Set-Content `$file; `$null = Register-TokenAuthProvider -Path `$file -Persist; Set-Secret -Name ('TokenAuth.' + `$copy) -Secret $secret }; "
    $ready = Invoke-TokenAuthFreshPwsh -IsolatedHome $storeHome ((Get-TokenAuthSecretStoreScript) + "Set-Secret -Name TokenAuth.APIMW -Secret $secret; " +
        $(if ($ByDefinition) { $copies } else { '' }) + "'ready'")
    if ($ready -notcontains 'ready') { throw "The SecretStore vault could not be made: $ready" }
    # The entry every persisted step reads (both settings make the same credential, so the same entry), and the copy's own.
    $null = Invoke-TokenAuthFreshPwsh -IsolatedHome $storeHome ($persist + $fromVault)
    if ($ByDefinition) { $null = Invoke-TokenAuthFreshPwsh -IsolatedHome $storeHome $fromVault.Replace('APIMW', 'ApimwPersisting') }

    $results = [ordered]@{}
    foreach ($setting in $pairs.Keys) {
        $results[$setting] = [pscustomobject]@{
            Asking = [System.Collections.Generic.List[double]]::new(); Persisted = [System.Collections.Generic.List[double]]::new()
            AskingCpu = [System.Collections.Generic.List[double]]::new(); PersistedCpu = [System.Collections.Generic.List[double]]::new()
            Saved = [System.Collections.Generic.List[double]]::new(); Ratio = [System.Collections.Generic.List[double]]::new(); TokenRequests = @(0, 0)
        }
    }

    function Measure-Step([string] $Script, [int] $Latency) {
        Reset-TokenAuthEmulator -Emulator $emulator
        if ($Latency -gt 0) {
            Add-TokenAuthEmulatorFault -Emulator $emulator -Provider APIMW -Endpoint token -DelayMilliseconds $Latency -DelayOnly
        }
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        # The process's CPU time (user and system, all threads), reported as its last act: the work a step does, which a
        # loaded machine's waiting for the CPU leaves out of it.
        $output = Invoke-TokenAuthFreshPwsh -IsolatedHome $storeHome "$Script; [System.Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalMilliseconds.ToString([cultureinfo]::InvariantCulture)"
        $clock.Stop()
        if ($LASTEXITCODE -ne 0) { throw "The step failed (exit code $LASTEXITCODE): $output" }
        [pscustomobject]@{
            Wall = $clock.Elapsed.TotalMilliseconds; Cpu = [double]::Parse("$(@($output)[-1])", [cultureinfo]::InvariantCulture)
            TokenRequests = [int] (Get-TokenAuthEmulatorCounter -Emulator $emulator -Key 'apimw/token')
        }
    }

    foreach ($round in 1..$Rounds) {
        foreach ($setting in $pairs.Keys) {
            $order = if ($round % 2) { 0, 1 } else { 1, 0 }
            $measured = @{}
            foreach ($i in $order) { $measured[$i] = Measure-Step $pairs[$setting].Steps[$i] $pairs[$setting].Latency }
            $result = $results[$setting]
            $result.Asking.Add($measured[0].Wall)
            $result.Persisted.Add($measured[1].Wall)
            $result.AskingCpu.Add($measured[0].Cpu)
            $result.PersistedCpu.Add($measured[1].Cpu)
            $result.Saved.Add($measured[0].Wall - $measured[1].Wall)
            $result.Ratio.Add($measured[1].Wall / $measured[0].Wall)
            $result.TokenRequests = @(($result.TokenRequests[0] + $measured[0].TokenRequests), ($result.TokenRequests[1] + $measured[1].TokenRequests))
            Write-Host ("  round {0,2}, {1}: token request {2:0} ms (CPU {3:0}), persisted {4:0} ms (CPU {5:0})" -f $round, $setting, $measured[0].Wall, $measured[0].Cpu,
                $measured[1].Wall, $measured[1].Cpu)
        }
    }

    function Format-Spread([double[]] $Values, [string] $Format) {
        "{0} ({1}-{2})" -f ($Format -f (Get-TokenAuthMedian $Values)), ($Format -f ($Values | Measure-Object -Minimum).Minimum), ($Format -f ($Values | Measure-Object -Maximum).Maximum)
    }

    Write-Host "Fresh pwsh step (start-up, import, token, one API request, exit), APIMW on the emulator,"
    Write-Host "SecretStore vault, $Rounds paired rounds, PowerShell $($PSVersionTable.PSVersion); medians (min-max):"
    foreach ($setting in $results.Keys) {
        $result = $results[$setting]
        Write-Host "  $setting"
        Write-Host ("    token request    wall {0} ms, CPU {1} ms, {2} token request(s) in all" -f (Format-Spread $result.Asking.ToArray() '{0:0}'),
            (Format-Spread $result.AskingCpu.ToArray() '{0:0}'), $result.TokenRequests[0])
        Write-Host ("    persisted token  wall {0} ms, CPU {1} ms, {2} token request(s) in all" -f (Format-Spread $result.Persisted.ToArray() '{0:0}'),
            (Format-Spread $result.PersistedCpu.ToArray() '{0:0}'), $result.TokenRequests[1])
        Write-Host ("    saved per step   {0} ms; persisted / token request {1}x" -f (Format-Spread $result.Saved.ToArray() '{0:0}'), (Format-Spread $result.Ratio.ToArray() '{0:0.00}'))
    }
}
finally {
    Stop-TokenAuthEmulator -Emulator $emulator
    Remove-Item -Recurse -Force $storeHome -ErrorAction Ignore
}
