#Requires -Version 7.4
<#
.SYNOPSIS
    TokenAuth's cmdlets against what scripts do today, on the same emulator endpoint, in one run.
.DESCRIPTION
    500 sequential calls each of:
      Invoke-AuthenticatedRequest                          (token cached by TokenAuth)
      Invoke-RestMethod -Authentication Bearer -Token      (token fetched once beforehand)
      Invoke-RestMethod for a token, then for the resource (a token fetched for every call)
    and 1,000 warm Get-ProviderToken calls; prints times and ratios. Needs a build (dotnet build TokenAuth.sln)
    and Microsoft.PowerShell.SecretManagement.
.EXAMPLE
    pwsh tests/bench/Compare-Invocation.ps1 -Calls 100
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'A benchmark report for the person at the console.')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingAllowUnencryptedAuthentication', '', Justification = 'The emulator listens on plain http on loopback only.')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'The token compared against is the emulator''s, fetched a line earlier.')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'The parameters are used inside the benchmark''s script block, where the rule does not look.')]
[CmdletBinding()]
param ([int] $Calls = 500, [int] $WarmLookups = 1000)

$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
Import-Module Microsoft.PowerShell.SecretManagement
Import-Module (Join-Path $root 'out/TokenAuth/TokenAuth.psd1') -Force
Import-Module (Join-Path $root 'tests/pester/TokenAuth.TestSupport.psm1') -Force

Invoke-WithTokenAuthDemo -VaultName 'TokenAuthBench' -ScriptBlock {
    param ($emulator, $demo)
    $base = Get-TokenAuthEmulatorBaseUri -Emulator $emulator -Provider APIMW
    $resource = "$base/resources/sample"
    $tokenBody = @{ api_key = $demo.apimw.apiKey; api_secret = $demo.apimw.apiSecret } | ConvertTo-Json
    $target = @{ Provider = 'APIMW'; BaseUri = $base; Vault = 'TokenAuthBench' }

    function Measure-Loop([string] $Name, [int] $Count, [scriptblock] $Body) {
        & $Body | Out-Null                      # warm up: first-call costs are not what is compared
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        for ($i = 0; $i -lt $Count; $i++) { & $Body | Out-Null }
        $watch.Stop()
        [pscustomobject]@{ Case = $Name; Calls = $Count; TotalMs = [math]::Round($watch.Elapsed.TotalMilliseconds); PerCallMs = [math]::Round($watch.Elapsed.TotalMilliseconds / $Count, 3) }
    }

    $prefetched = ConvertTo-SecureString (Invoke-RestMethod -Method Post -Uri "$base/v1/auth/token" -Body $tokenBody -ContentType 'application/json').data.access_token -AsPlainText -Force

    $results = @(
        Measure-Loop -Name 'Invoke-AuthenticatedRequest' -Count $Calls -Body { Invoke-AuthenticatedRequest @target -Uri 'resources/sample' }
        Measure-Loop -Name 'Invoke-RestMethod, token fetched once' -Count $Calls -Body {
            Invoke-RestMethod -Uri $resource -Authentication Bearer -Token $prefetched -AllowUnencryptedAuthentication
        }
        Measure-Loop -Name 'Invoke-RestMethod, token fetched every call' -Count $Calls -Body {
            $token = (Invoke-RestMethod -Method Post -Uri "$base/v1/auth/token" -Body $tokenBody -ContentType 'application/json').data.access_token
            Invoke-RestMethod -Uri $resource -Headers @{ Authorization = "Bearer $token" }
        }
        Measure-Loop -Name 'Get-ProviderToken (warm)' -Count $WarmLookups -Body { Get-ProviderToken @target }
    )
    $results | Format-Table | Out-Host

    $ours = $results[0].PerCallMs
    Write-Host ("Invoke-AuthenticatedRequest is {0:0.00}x as fast as Invoke-RestMethod with a token fetched once (target: 1.5x or more)" -f ($results[1].PerCallMs / $ours))
    Write-Host ("Invoke-AuthenticatedRequest is {0:0.00}x as fast as Invoke-RestMethod fetching a token every call" -f ($results[2].PerCallMs / $ours))
}
