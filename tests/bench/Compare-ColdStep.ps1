#Requires -Version 7.4
<#
.SYNOPSIS
    A cold pipeline step: a fresh pwsh that gets a token and makes one request, TokenAuth against Invoke-RestMethod.
.DESCRIPTION
    Whole-process wall time of a new pwsh (-NoProfile -NonInteractive -Command), as a pipeline step pays it: start-up,
    module import, token request, API request, exit. Four steps against the emulator's APIMW, the credential in
    environment variables as a pipeline hands it over, no vault:
      TokenAuth                 Import-Module TokenAuth; Invoke-AuthenticatedRequest -Credential, the PSCredential
                                made with [System.Net.NetworkCredential]'s SecurePassword
      TokenAuth, ConvertTo-SS   the same with ConvertTo-SecureString, which loads Microsoft.PowerShell.Security: the
                                cost of making a PSCredential the usual way, which a step with -ClientId and
                                -ClientAssertion, or with a vault, does not pay
      TokenAuth, -EnvVariable   the credential read by -EnvironmentVariable from TOKENAUTH_APIMW_APIKEY and
                                TOKENAUTH_APIMW_APISECRET, as a pipeline maps its secrets to variables: no PSCredential
      Invoke-RestMethod         the token call (POST v1/auth/token) and the request with the token as its Bearer header
    They run in -Pairs rounds, the order reversed every other round, and the report gives each step's median and
    spread (min-max) and the median of the per-round ratios to Invoke-RestMethod: the figure to read on a shared,
    noisy machine. Beside the wall time, the CPU time each step's process reports as its last act (user and system,
    all threads): on a loaded machine, where the wall time waits for the CPU, it shows the work each step does.
    The module is found on PSModulePath as an installed one is: -ModuleFolder holds TokenAuth/ (the build's out/ by
    default). -BeforeModuleFolder adds the first step again with the TokenAuth/ in that folder (an earlier build, or
    a copy with another manifest), in the same rounds. Needs a Release build (dotnet build TokenAuth.sln -c Release: a Debug build runs unoptimized, and is refused).
.EXAMPLE
    pwsh tests/bench/Compare-ColdStep.ps1 -Rounds 15
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'A benchmark report for the person at the console.')]
[CmdletBinding()]
param ([int] $Rounds = 15, [string] $ModuleFolder = (Join-Path $PSScriptRoot '../../out'), [string] $BeforeModuleFolder)

$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
Import-Module (Join-Path $root 'tests/pester/TokenAuth.TestSupport.psm1') -Force
Assert-TokenAuthReleaseBuild -ModuleFolder $ModuleFolder
if ($BeforeModuleFolder) { Assert-TokenAuthReleaseBuild -ModuleFolder $BeforeModuleFolder }

$request = "`$null = Invoke-AuthenticatedRequest APIMW -BaseUri `$env:API_BASE -Uri resources/sample -Credential `$credential -ErrorAction Stop"
$steps = [ordered]@{
    'TokenAuth'               = "Import-Module TokenAuth; `$credential = [pscredential]::new(`$env:API_KEY, [System.Net.NetworkCredential]::new('', `$env:API_SECRET).SecurePassword); $request"
    'TokenAuth, ConvertTo-SS' = "Import-Module TokenAuth; `$credential = [pscredential]::new(`$env:API_KEY, (ConvertTo-SecureString `$env:API_SECRET -AsPlainText -Force)); $request"
    'TokenAuth, -EnvVariable' = "Import-Module TokenAuth; `$null = Invoke-AuthenticatedRequest APIMW -BaseUri `$env:API_BASE -Uri resources/sample -EnvironmentVariable -ErrorAction Stop"
    'Invoke-RestMethod'       = "`$body = @{ api_key = `$env:API_KEY; api_secret = `$env:API_SECRET } | ConvertTo-Json; " +
        "`$token = (Invoke-RestMethod -Method Post -Uri `"`$env:API_BASE/v1/auth/token`" -Body `$body -ContentType application/json).data.access_token; " +
        "`$null = Invoke-RestMethod -Uri `"`$env:API_BASE/resources/sample`" -Headers @{ Authorization = `"Bearer `$token`" }"
}
$baseline = 'Invoke-RestMethod'
if ($BeforeModuleFolder) {
    # Found first on the path the process was given, so Import-Module TokenAuth takes that one.
    $steps.Insert(1, 'TokenAuth, before', "`$env:PSModulePath = '$((Resolve-Path $BeforeModuleFolder).Path)' + [System.IO.Path]::PathSeparator + `$env:PSModulePath; $($steps['TokenAuth'])")
}

# PowerShell run as a .NET tool (dotnet pwsh) is the dotnet host running pwsh.dll from its own folder.
$process = (Get-Process -Id $PID).Path
$pwsh = @(if ((Split-Path $process -Leaf) -match '^dotnet(\.exe)?$') { $process, (Join-Path $PSHOME 'pwsh.dll') } else { $process })

# A step's wall time, and the CPU time its process reports last.
function Measure-Step([string] $Command) {
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $output = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command "$Command; [System.Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalMilliseconds.ToString([cultureinfo]::InvariantCulture)" 2>&1
    $clock.Stop()
    if ($LASTEXITCODE -ne 0) { throw "The step failed (exit code $LASTEXITCODE): $output" }
    [pscustomobject]@{ Wall = $clock.Elapsed.TotalMilliseconds; Cpu = [double]::Parse("$(@($output)[-1])", [cultureinfo]::InvariantCulture) }
}

function Write-Figure([string] $Title, [hashtable] $Values, [hashtable] $Ratios) {
    Write-Host "  $Title"
    foreach ($name in $steps.Keys) {
        $all = $Values[$name].ToArray()
        $line = "    {0,-24} median {1:0} ms ({2:0}-{3:0})" -f $name, (Get-TokenAuthMedian $all), ($all | Measure-Object -Minimum).Minimum, ($all | Measure-Object -Maximum).Maximum
        if ($name -ne $baseline) {
            $ratio = $Ratios[$name].ToArray()
            $line += ", {0:0.00}x {1} ({2:0.00}-{3:0.00})" -f (Get-TokenAuthMedian $ratio), $baseline, ($ratio | Measure-Object -Minimum).Minimum, ($ratio | Measure-Object -Maximum).Maximum
        }
        Write-Host $line
    }
}

# One list of measurements per step.
function Get-EmptySeries {
    $series = @{}
    foreach ($name in $steps.Keys) { $series[$name] = [System.Collections.Generic.List[double]]::new() }
    $series
}

$emulator = Start-TokenAuthEmulator
try {
    $demo = Invoke-RestMethod -Uri "$($emulator.Root)_emulator/credentials"
    $environment = @{
        API_BASE     = Get-TokenAuthEmulatorBaseUri -Emulator $emulator -Provider APIMW
        API_KEY      = $demo.apimw.apiKey
        API_SECRET   = $demo.apimw.apiSecret
        TOKENAUTH_APIMW_APIKEY    = $demo.apimw.apiKey
        TOKENAUTH_APIMW_APISECRET = $demo.apimw.apiSecret
        PSModulePath = (Resolve-Path $ModuleFolder).Path + [System.IO.Path]::PathSeparator + $env:PSModulePath
    }
    $wall = Get-EmptySeries; $cpu = Get-EmptySeries; $wallRatios = Get-EmptySeries; $cpuRatios = Get-EmptySeries
    Use-TokenAuthEnvironment $environment {
        # One of each first, untimed: the disk cache and PowerShell's module analysis cache are warm for every round.
        foreach ($command in $steps.Values) { $null = Measure-Step $command }
        for ($round = 0; $round -lt $Rounds; $round++) {
            $order = @($steps.Keys)
            if ($round % 2) { [array]::Reverse($order) }
            $elapsed = @{}
            foreach ($name in $order) { $elapsed[$name] = Measure-Step $steps[$name] }
            foreach ($name in $order) {
                $wall[$name].Add($elapsed[$name].Wall)
                $cpu[$name].Add($elapsed[$name].Cpu)
                $wallRatios[$name].Add($elapsed[$name].Wall / $elapsed[$baseline].Wall)
                $cpuRatios[$name].Add($elapsed[$name].Cpu / $elapsed[$baseline].Cpu)
            }
        }
    }
}
finally {
    Stop-TokenAuthEmulator -Emulator $emulator
}

Write-Host "Cold step from a fresh pwsh ($Rounds rounds, $(Split-Path (Resolve-Path $ModuleFolder) -Leaf)/TokenAuth):"
Write-Figure -Title 'wall time of the whole process' -Values $wall -Ratios $wallRatios
Write-Figure -Title 'CPU time of the process' -Values $cpu -Ratios $cpuRatios
