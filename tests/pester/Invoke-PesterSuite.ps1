#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
.SYNOPSIS
    Runs the Pester suite against the built module (out/TokenAuth) and exits non-zero on any failure.
    Needs Pester 5 and Microsoft.PowerShell.SecretManagement; build.ps1 installs them when missing.
#>
[CmdletBinding()]
param ([string] $ResultPath)

$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.Exit = $true
$configuration.Output.Verbosity = 'Detailed'
if ($ResultPath) {
    $configuration.TestResult.Enabled = $true
    $configuration.TestResult.OutputPath = $ResultPath
}

Invoke-Pester -Configuration $configuration
