#Requires -Version 7.4
<#
.SYNOPSIS
    A cold pipeline step: a fresh pwsh that gets a token and makes one request, TokenAuth against Invoke-RestMethod.
.DESCRIPTION
    Whole-process wall time of a new pwsh (-NoProfile -NonInteractive -Command), as a pipeline step pays it: start-up,
    module import, token request, API request, exit. Two steps against the emulator's APIMW, the credential in
    environment variables as a pipeline hands it over, no vault:
      TokenAuth          Import-Module TokenAuth; Invoke-AuthenticatedRequest -Credential
      Invoke-RestMethod  the token call (POST v1/auth/token) and the request with the token as its Bearer header
    They run in -Pairs pairs, the order alternating, and the report gives each step's median and spread (min-max)
    and the median of the per-pair ratios (TokenAuth / Invoke-RestMethod): the figure to read on a shared, noisy
    machine. The module is found on PSModulePath as an installed one is: -ModuleFolder holds TokenAuth/ (the build's
    out/ by default; a copy with another manifest measures that manifest). Needs a build (dotnet build TokenAuth.sln).
.EXAMPLE
    pwsh tests/bench/Compare-ColdStep.ps1 -Pairs 15
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'A benchmark report for the person at the console.')]
[CmdletBinding()]
param ([int] $Pairs = 15, [string] $ModuleFolder = (Join-Path $PSScriptRoot '../../out'))

$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
Import-Module (Join-Path $root 'tests/pester/TokenAuth.TestSupport.psm1') -Force

$steps = [ordered]@{
    'TokenAuth'         = "Import-Module TokenAuth; `$credential = [pscredential]::new(`$env:API_KEY, (ConvertTo-SecureString `$env:API_SECRET -AsPlainText -Force)); " +
        "`$null = Invoke-AuthenticatedRequest APIMW -BaseUri `$env:API_BASE -Uri resources/sample -Credential `$credential -ErrorAction Stop"
    'Invoke-RestMethod' = "`$body = @{ api_key = `$env:API_KEY; api_secret = `$env:API_SECRET } | ConvertTo-Json; " +
        "`$token = (Invoke-RestMethod -Method Post -Uri `"`$env:API_BASE/v1/auth/token`" -Body `$body -ContentType application/json).data.access_token; " +
        "`$null = Invoke-RestMethod -Uri `"`$env:API_BASE/resources/sample`" -Headers @{ Authorization = `"Bearer `$token`" }"
}

# PowerShell run as a .NET tool (dotnet pwsh) is the dotnet host running pwsh.dll from its own folder.
$process = (Get-Process -Id $PID).Path
$pwsh = @(if ((Split-Path $process -Leaf) -match '^dotnet(\.exe)?$') { $process, (Join-Path $PSHOME 'pwsh.dll') } else { $process })

function Measure-Step([string] $Command) {
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $output = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $Command 2>&1
    $clock.Stop()
    if ($LASTEXITCODE -ne 0) { throw "The step failed (exit code $LASTEXITCODE): $output" }
    $clock.Elapsed.TotalMilliseconds
}

$emulator = Start-TokenAuthEmulator
try {
    $demo = Invoke-RestMethod -Uri "$($emulator.Root)_emulator/credentials"
    $environment = @{
        API_BASE     = Get-TokenAuthEmulatorBaseUri -Emulator $emulator -Provider APIMW
        API_KEY      = $demo.apimw.apiKey
        API_SECRET   = $demo.apimw.apiSecret
        PSModulePath = (Resolve-Path $ModuleFolder).Path + [System.IO.Path]::PathSeparator + $env:PSModulePath
    }
    $times = @{ 'TokenAuth' = [System.Collections.Generic.List[double]]::new(); 'Invoke-RestMethod' = [System.Collections.Generic.List[double]]::new() }
    $ratios = [System.Collections.Generic.List[double]]::new()
    Use-TokenAuthEnvironment $environment {
        # One of each first, untimed: the disk cache and PowerShell's module analysis cache are warm for every pair.
        foreach ($command in $steps.Values) { $null = Measure-Step $command }
        for ($pair = 0; $pair -lt $Pairs; $pair++) {
            $order = if ($pair % 2) { 'Invoke-RestMethod', 'TokenAuth' } else { 'TokenAuth', 'Invoke-RestMethod' }
            $elapsed = @{}
            foreach ($name in $order) { $elapsed[$name] = Measure-Step $steps[$name] }
            foreach ($name in $order) { $times[$name].Add($elapsed[$name]) }
            $ratios.Add($elapsed['TokenAuth'] / $elapsed['Invoke-RestMethod'])
        }
    }
}
finally {
    Stop-TokenAuthEmulator -Emulator $emulator
}

Write-Host "Cold step from a fresh pwsh ($Pairs pairs, $(Split-Path (Resolve-Path $ModuleFolder) -Leaf)/TokenAuth):"
foreach ($name in $steps.Keys) {
    $values = $times[$name].ToArray()
    Write-Host ("  {0,-18} median {1:0} ms ({2:0}-{3:0})" -f $name, (Get-TokenAuthMedian $values), ($values | Measure-Object -Minimum).Minimum, ($values | Measure-Object -Maximum).Maximum)
}
Write-Host ("  TokenAuth / Invoke-RestMethod: median of the pairs' ratios {0:0.00}x ({1:0.00}-{2:0.00})" -f (Get-TokenAuthMedian $ratios.ToArray()),
    ($ratios | Measure-Object -Minimum).Minimum, ($ratios | Measure-Object -Maximum).Maximum)
