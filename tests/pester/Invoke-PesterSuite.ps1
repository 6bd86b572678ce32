<#
.SYNOPSIS
    Runs the Pester suite against the built module (out/TokenAuth) and writes its result as NUnit XML.
.DESCRIPTION
    The caller judges the run by that XML (its counts and failed tests), not by this script's exit code: with
    '#Requires -Modules' in a script, Pester's Run.Exit code has been seen lost (tools README). This script therefore
    has no '#Requires' line, and exits 1 on any failure as a courtesy to people running it by hand.
    Needs Pester 5 and Microsoft.PowerShell.SecretManagement; build.ps1 Test installs them when missing.
.PARAMETER ResultPath
    Where the NUnit XML result goes.
.PARAMETER Path
    The folder of *.Tests.ps1 files to run; this script's own folder by default.
.PARAMETER Tag
    Only the tests with one of these tags, given as a list or as one comma-separated word (as pwsh -File passes it):
    a PowerShell that runs just what no other can (see PesterSuiteTests). All tests by default.
#>
[CmdletBinding()]
param (
    [Parameter(Mandatory)] [string] $ResultPath,
    [string] $Path = $PSScriptRoot,
    [string[]] $Tag
)

Import-Module Pester -MinimumVersion 5.0.0 -ErrorAction Stop

$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.Output.RenderMode = 'Plaintext'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = $ResultPath
if ($Tag) { $configuration.Filter.Tag = @($Tag -split ',') }

$result = Invoke-Pester -Configuration $configuration
exit $(if ($result.FailedCount -eq 0 -and $result.FailedBlocksCount -eq 0 -and $result.FailedContainersCount -eq 0) { 0 } else { 1 })
