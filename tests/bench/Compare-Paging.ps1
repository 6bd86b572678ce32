#Requires -Version 7.4
<#
.SYNOPSIS
    Paging through a list with Invoke-AuthenticatedRequest -FollowRelLink against an Invoke-RestMethod loop that
    follows the Link headers with a token fetched beforehand, on the same emulator list, in interleaved rounds.
    (Invoke-RestMethod -FollowRelLink itself cannot page an authenticated list: it drops the Authorization header
    after the first page.)
.DESCRIPTION
    Each round times both cases once, in alternating order; the report gives each case's median and spread (min-max)
    over the rounds and the median of the per-round ratios (Invoke-RestMethod time / Invoke-AuthenticatedRequest
    time: above 1 means TokenAuth is faster). On a shared, noisy machine only the ratio within a round means much.
    Needs a Release build (dotnet build TokenAuth.sln -c Release: a Debug build runs unoptimized, and is refused) and Microsoft.PowerShell.SecretManagement.
.EXAMPLE
    pwsh tests/bench/Compare-Paging.ps1 -Rounds 9
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'A benchmark report for the person at the console.')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'The parameters are used inside the benchmark''s script block, where the rule does not look.')]
[CmdletBinding()]
param ([int] $Rounds = 7, [int] $Pages = 100, [int] $PageSize = 100)

$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
Import-Module Microsoft.PowerShell.SecretManagement
Import-Module (Join-Path $root 'out/TokenAuth/TokenAuth.psd1') -Force
Import-Module (Join-Path $root 'tests/pester/TokenAuth.TestSupport.psm1') -Force
Assert-TokenAuthReleaseBuild

Invoke-WithTokenAuthDemo -VaultName 'TokenAuthBench' -ScriptBlock {
    param ($emulator, $demo)
    $base = Get-TokenAuthEmulatorBaseUri -Emulator $emulator -Provider APIMW
    $list = "resources/pages/link?pages=$Pages&size=$PageSize"
    $target = @{ Provider = 'APIMW'; BaseUri = $base; Vault = 'TokenAuthBench' }
    $tokenBody = @{ api_key = $demo.apimw.apiKey; api_secret = $demo.apimw.apiSecret } | ConvertTo-Json
    # A header, not -Authentication Bearer -Token: Invoke-RestMethod sends -Token with the first request only, not the pages it follows.
    $prefetched = @{ Authorization = 'Bearer ' + (Invoke-RestMethod -Method Post -Uri "$base/v1/auth/token" -Body $tokenBody -ContentType 'application/json').data.access_token }

    $cases = [ordered]@{
        'Invoke-AuthenticatedRequest -FollowRelLink' = { Invoke-AuthenticatedRequest @target -Uri $list -FollowRelLink }
        # Invoke-RestMethod -FollowRelLink sends the Authorization header with the first page only (7.4 and 7.6 alike),
        # so an authenticated list is read with the loop a script would write around it.
        'Invoke-RestMethod loop over Link headers, token fetched once' = {
            $next = "$base/$list"
            while ($next) {
                Invoke-RestMethod -Uri $next -Headers $prefetched -ResponseHeadersVariable headers | ForEach-Object { $_ }
                $next = if ("$($headers['Link'])" -match '<([^>]+)>; rel="next"') { $Matches[1] } else { $null }
            }
        }
    }
    $names = @($cases.Keys)
    foreach ($name in $names) {
        $count = @(& $cases[$name]).Count               # warm up, and check both read the whole list
        if ($count -ne $Pages * $PageSize) { throw "$name returned $count items, not $($Pages * $PageSize)." }
    }

    $times = @{}; foreach ($name in $names) { $times[$name] = [System.Collections.Generic.List[double]]::new() }
    $ratios = [System.Collections.Generic.List[double]]::new()
    for ($round = 0; $round -lt $Rounds; $round++) {
        $order = if ($round % 2) { [array]::Reverse(($reversed = $names.Clone())); $reversed } else { $names }
        foreach ($name in $order) {
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $null = & $cases[$name]
            $times[$name].Add($watch.Elapsed.TotalMilliseconds)
        }
        $ratios.Add($times[$names[1]][$round] / $times[$names[0]][$round])
    }

    $names | ForEach-Object {
        [pscustomobject]@{
            Case       = $_
            'Median ms' = [math]::Round((Get-TokenAuthMedian $times[$_]), 1)
            'Min-max ms' = '{0:0.0}-{1:0.0}' -f ($times[$_] | Measure-Object -Minimum).Minimum, ($times[$_] | Measure-Object -Maximum).Maximum
        }
    } | Format-Table -AutoSize | Out-String -Width 200 | Out-Host
    Write-Host ("{0} pages of {1} items, {2} rounds. Median of per-round ratios (Invoke-RestMethod / Invoke-AuthenticatedRequest): {3:0.00} (min {4:0.00}, max {5:0.00})" -f
        $Pages, $PageSize, $Rounds, (Get-TokenAuthMedian $ratios), ($ratios | Measure-Object -Minimum).Minimum, ($ratios | Measure-Object -Maximum).Maximum)
}
