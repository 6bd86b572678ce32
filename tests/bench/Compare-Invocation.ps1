#Requires -Version 7.4
<#
.SYNOPSIS
    TokenAuth's cmdlets against what scripts do today, on the same emulator endpoints, at steady state, in interleaved rounds.
.DESCRIPTION
    Steady state, not start-up: every case first runs -WarmUp calls (the JIT settles, tiered compilation promotes what
    is hot), then each round times every case -Calls times, in an order reversed every other round, each case
    starting on a freshly collected heap (so that no case pays for the garbage of the one before it). The report gives
    each case's median and spread (min-max) over the rounds, and the median of the per-round ratios with its range,
    which is the figure to read on a shared, noisy machine (absolute times there swing several-fold between runs, a
    ratio within a round much less).
    Cases (per call):
      Get-Date           the cost of calling any cmdlet: the floor for a warm Get-ProviderToken
      Get-ProviderToken  warm: the token from the session cache
      HttpClient alone   one reused HttpClient with the token header, GetStringAsync from PowerShell
      ConvertFrom-Json   alone, on that answer's text
      limit json         the two together: the best a script can do by hand, which bounds any cmdlet from below
      IAR / IRM json     Invoke-AuthenticatedRequest against Invoke-RestMethod with a token fetched beforehand, small JSON
      IAR / IRM file     the same with -OutFile, a 1 MiB body
      IAR / IRM parallel ForEach-Object -Parallel -ThrottleLimit 8 over -ParallelRequests requests (a whole run; for
                         TokenAuth it starts with an empty cache and the emulator counts the token requests: 1 expected)
      floor parallel     the same loop around a script block that only returns its input: what ForEach-Object -Parallel
                         itself costs per item, which bounds the throughput ratio any cmdlet can reach inside that loop
      ... 8 batches      the same requests as 8 items of -ParallelRequests/8 calls each: the runspace cost paid 8 times
      IAR -ThrottleLimit the same URIs piped to one Invoke-AuthenticatedRequest -ThrottleLimit 8, no runspaces at all
    -Https runs every case over TLS (the emulator's test CA, trusted by TokenAuth through -CertificateBundle and by the
    hand-written client through a validation callback of its own; Invoke-RestMethod, which cannot be given a CA, skips
    the check). The module is loaded as an installed one would be: out/ goes first on PSModulePath, so the parallel
    runspaces load it by name on first use rather than importing it on every item.
    -CallsOnly leaves out the parallel cases, which take most of a run.
    Needs a Release build (dotnet build TokenAuth.sln -c Release: a Debug build runs unoptimized, and is refused) and Microsoft.PowerShell.SecretManagement.
.EXAMPLE
    pwsh tests/bench/Compare-Invocation.ps1 -Rounds 11 -CallsOnly
.EXAMPLE
    pwsh tests/bench/Compare-Invocation.ps1 -Rounds 11 -CallsOnly -Https
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'A benchmark report for the person at the console.')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'The parameters are used inside the benchmark''s script block, where the rule does not look.')]
[CmdletBinding()]
param ([int] $Rounds = 11, [int] $Calls = 1000, [int] $WarmUp = 300, [int] $Downloads = 40, [int] $ParallelRequests = 2000, [switch] $CallsOnly, [switch] $Https)

$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
Import-Module Microsoft.PowerShell.SecretManagement
$env:PSModulePath = (Join-Path $root 'out') + [System.IO.Path]::PathSeparator + $env:PSModulePath
Import-Module TokenAuth -Force
Import-Module (Join-Path $root 'tests/pester/TokenAuth.TestSupport.psm1') -Force
Assert-TokenAuthReleaseBuild

function Format-Spread([double[]] $Values, [string] $Format) {
    "{0:$Format} ({1:$Format}-{2:$Format})" -f (Get-TokenAuthMedian $Values), ($Values | Measure-Object -Minimum).Minimum, ($Values | Measure-Object -Maximum).Maximum
}

# Over TLS: the emulator's test CA, trusted by a compiled callback (a script block cannot run on the thread pool).
$listeners = @{}
if ($Https) {
    $certificates = New-TokenAuthTestCertificate -Path (Join-Path ([System.IO.Path]::GetTempPath()) "tokenauth-bench-certificates-$PID")
    $listeners = @{ Trusted = $certificates.Server }
    Add-Type -TypeDefinition @'
using System.Net.Http;
using System.Security.Cryptography.X509Certificates;
public static class TokenAuthBenchTrust
{
    public static HttpClientHandler Handler(string caPem)
    {
        var ca = X509Certificate2.CreateFromPem(System.IO.File.ReadAllText(caPem));
        return new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate != null && chain.Build(certificate);
            },
        };
    }
}
'@
}

Invoke-WithTokenAuthDemo -VaultName 'TokenAuthBench' -Https $listeners -ScriptBlock {
    param ($emulator, $demo)
    $base = if ($Https) { $emulator.Https.Trusted + 'apimw' } else { Get-TokenAuthEmulatorBaseUri -Emulator $emulator -Provider APIMW }
    $target = @{ Provider = 'APIMW'; BaseUri = $base; Vault = 'TokenAuthBench' }
    $irm = @{}
    if ($Https) {
        Set-TokenAuthOption -CertificateBundle $certificates.Bundle
        $irm.SkipCertificateCheck = $true
    }
    $tokenBody = @{ api_key = $demo.apimw.apiKey; api_secret = $demo.apimw.apiSecret } | ConvertTo-Json
    $headers = @{ Authorization = 'Bearer ' + (Invoke-RestMethod -Method Post -Uri "$base/v1/auth/token" -Body $tokenBody -ContentType 'application/json' @irm).data.access_token }
    $client = if ($Https) { [System.Net.Http.HttpClient]::new([TokenAuthBenchTrust]::Handler($certificates.Bundle)) } else { [System.Net.Http.HttpClient]::new() }
    $client.DefaultRequestHeaders.Add('Authorization', $headers.Authorization)
    $sampleText = $client.GetStringAsync("$base/resources/sample").GetAwaiter().GetResult()
    $file = Join-Path ([System.IO.Path]::GetTempPath()) "tokenauth-bench-$PID.bin"
    $megabyte = 'resources/bytes?size=1048576'

    # Each case: how many calls a round makes, and one call.
    $cases = [ordered]@{
        'Get-Date'                      = @($Calls, { Get-Date })
        'Get-ProviderToken (warm)'      = @($Calls, { Get-ProviderToken @target })
        'HttpClient alone'              = @($Calls, { $client.GetStringAsync("$base/resources/sample").GetAwaiter().GetResult() })
        'ConvertFrom-Json alone'        = @($Calls, { $sampleText | ConvertFrom-Json })
        'limit json: HttpClient + CFJ'  = @($Calls, { $client.GetStringAsync("$base/resources/sample").GetAwaiter().GetResult() | ConvertFrom-Json })
        'IAR json'                      = @($Calls, { Invoke-AuthenticatedRequest @target -Uri 'resources/sample' })
        'IRM json'                      = @($Calls, { Invoke-RestMethod -Uri "$base/resources/sample" -Headers $headers @irm })
        'IAR file 1 MiB'                = @($Downloads, { Invoke-AuthenticatedRequest @target -Uri $megabyte -OutFile $file })
        'IRM file 1 MiB'                = @($Downloads, { Invoke-RestMethod -Uri "$base/$megabyte" -Headers $headers -OutFile $file @irm })
    }
    $parallel = [ordered]@{
        'IAR parallel' = {
            Revoke-ProviderToken -All -Confirm:$false | Out-Null
            Reset-TokenAuthEmulator -Emulator $emulator
            1..$ParallelRequests | ForEach-Object -ThrottleLimit 8 -Parallel { Invoke-AuthenticatedRequest @using:target -Uri 'resources/sample' }
        }
        'IRM parallel' = {
            1..$ParallelRequests | ForEach-Object -ThrottleLimit 8 -Parallel { $irm = $using:irm; Invoke-RestMethod -Uri "$using:base/resources/sample" -Headers $using:headers @irm }
        }
        'floor parallel' = { 1..$ParallelRequests | ForEach-Object -ThrottleLimit 8 -Parallel { $_ } }
        'IAR parallel, 8 batches' = {
            Revoke-ProviderToken -All -Confirm:$false | Out-Null
            Reset-TokenAuthEmulator -Emulator $emulator
            1..8 | ForEach-Object -ThrottleLimit 8 -Parallel { for ($n = 0; $n -lt $using:perBatch; $n++) { Invoke-AuthenticatedRequest @using:target -Uri 'resources/sample' } }
        }
        'IAR -ThrottleLimit 8, piped' = {
            Revoke-ProviderToken -All -Confirm:$false | Out-Null
            Reset-TokenAuthEmulator -Emulator $emulator
            $sampleUris | Invoke-AuthenticatedRequest @target -ThrottleLimit 8
        }
        'IRM parallel, 8 batches' = {
            1..8 | ForEach-Object -ThrottleLimit 8 -Parallel { $irm = $using:irm; for ($n = 0; $n -lt $using:perBatch; $n++) { Invoke-RestMethod -Uri "$using:base/resources/sample" -Headers $using:headers @irm } }
        }
    }
    if ($CallsOnly) { $parallel.Clear() }
    $perBatch = $ParallelRequests / 8
    $sampleUris = @('resources/sample') * $ParallelRequests

    # Steady state: each case warmed up before anything is timed (fewer of the 1 MiB downloads).
    foreach ($case in $cases.Values) { for ($i = 0; $i -lt [math]::Min($WarmUp, 10 * $case[0]); $i++) { $null = & $case[1] } }
    $perCall = @{}; foreach ($name in @($cases.Keys) + @($parallel.Keys)) { $perCall[$name] = [System.Collections.Generic.List[double]]::new() }
    $tokenRequests = [System.Collections.Generic.List[int]]::new()
    for ($round = 0; $round -lt $Rounds; $round++) {
        $names = @($cases.Keys)
        if ($round % 2) { [array]::Reverse($names) }
        foreach ($name in $names) {
            $count, $call = $cases[$name]
            # Each case starts on a clean heap: the garbage the case before it left (a 1 MiB download's buffers,
            # Invoke-RestMethod's) is collected on no one's clock rather than on whichever case comes next.
            [GC]::Collect(); [GC]::WaitForPendingFinalizers()
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            for ($i = 0; $i -lt $count; $i++) { $null = & $call }
            $perCall[$name].Add($watch.Elapsed.TotalMilliseconds / $count)
        }
        $names = @($parallel.Keys)
        if ($round % 2) { [array]::Reverse($names) }
        foreach ($name in $names) {
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $results = @(& $parallel[$name])
            $perCall[$name].Add($watch.Elapsed.TotalMilliseconds / $ParallelRequests)
            if ($results.Count -ne $ParallelRequests) { throw "$name returned $($results.Count) results, not $ParallelRequests." }
            if ($name -like 'IAR parallel*') { $tokenRequests.Add([int] (Get-TokenAuthEmulatorCounter -Emulator $emulator -Key 'apimw/token')) }
        }
    }
    Remove-Item $file -ErrorAction Ignore
    $client.Dispose()

    @($cases.Keys) + @($parallel.Keys) |
        ForEach-Object { [pscustomobject]@{ Case = $_; 'ms per call: median (min-max)' = Format-Spread $perCall[$_] '0.000' } } |
        Format-Table -AutoSize | Out-String -Width 200 | Out-Host

    $ratio = {
        param ($slower, $faster)
        [double[]] $values = for ($r = 0; $r -lt $Rounds; $r++) { $perCall[$slower][$r] / $perCall[$faster][$r] }
        Format-Spread $values '0.00'
    }
    Write-Host ("$Rounds rounds of $Calls calls after $WarmUp of each to warm up{0}. Medians of per-round ratios (min-max):" -f $(if ($Https) { ', over HTTPS' } else { '' }))
    Write-Host ("  Invoke-AuthenticatedRequest against the hand-written limit (reused HttpClient + ConvertFrom-Json): {0}x its time (keep 1.05x or less)" -f (& $ratio 'IAR json' 'limit json: HttpClient + CFJ'))
    Write-Host ("    the limit's parts against it: HttpClient alone {0}x, ConvertFrom-Json alone {1}x" -f (& $ratio 'HttpClient alone' 'limit json: HttpClient + CFJ'), (& $ratio 'ConvertFrom-Json alone' 'limit json: HttpClient + CFJ'))
    Write-Host ("  Invoke-RestMethod against the same limit: {0}x its time" -f (& $ratio 'IRM json' 'limit json: HttpClient + CFJ'))
    Write-Host ("  Invoke-AuthenticatedRequest vs Invoke-RestMethod, small JSON:    {0}x as fast" -f (& $ratio 'IRM json' 'IAR json'))
    Write-Host ("  Invoke-AuthenticatedRequest vs Invoke-RestMethod, 1 MiB -OutFile: {0}x as fast (target 1.5x)" -f (& $ratio 'IRM file 1 MiB' 'IAR file 1 MiB'))
    Write-Host ("  warm Get-ProviderToken vs Get-Date: {0}x its time (target 1.2x or less)" -f (& $ratio 'Get-ProviderToken (warm)' 'Get-Date'))
    if ($CallsOnly) { return }
    Write-Host ("  ForEach-Object -Parallel -ThrottleLimit 8, $ParallelRequests requests: {0}x the throughput (target 2x); token requests per TokenAuth run: {1}" -f
        (& $ratio 'IRM parallel' 'IAR parallel'), (($tokenRequests | Sort-Object -Unique) -join ', '))
    Write-Host ("    the most any cmdlet could reach there (Invoke-RestMethod's loop against the loop's own floor): {0}x" -f (& $ratio 'IRM parallel' 'floor parallel'))
    Write-Host ("    the same requests in 8 batches, one per runspace: {0}x the throughput" -f (& $ratio 'IRM parallel, 8 batches' 'IAR parallel, 8 batches'))
    Write-Host ("    the URIs piped to Invoke-AuthenticatedRequest -ThrottleLimit 8, against Invoke-RestMethod's -Parallel loop: {0}x the throughput" -f (& $ratio 'IRM parallel' 'IAR -ThrottleLimit 8, piped'))
}
