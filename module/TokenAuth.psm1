# Loads the cmdlet assembly built for this edition: bin/net8.0 on PowerShell 7.4+, bin/netstandard2.0 (with its
# own dependencies, resolved from that folder) on Windows PowerShell 5.1. The net8.0 folder holds nothing that
# PowerShell 7 already carries, so no second copy of System.Text.Json or the like is ever loaded.

$importModule = Get-Command -Name Import-Module -Module Microsoft.PowerShell.Core

if ($PSEdition -eq 'Core') {
    $version = $PSVersionTable.PSVersion
    if ($version.Major -eq 7 -and $version.Minor -lt 4) {
        throw "TokenAuth needs PowerShell 7.4 or later on PowerShell Core (this is $($PSVersionTable.PSVersion)); Windows PowerShell 5.1 works too."
    }
    $framework = 'net8.0'
}
else {
    $framework = 'netstandard2.0'
}

$innerModule = if ('TokenAuth.Commands.GetProviderTokenCommand' -as [type]) {
    # Imported before in this process: the assembly is loaded already and cannot be loaded again.
    & $importModule -Assembly ([TokenAuth.Commands.GetProviderTokenCommand].Assembly) -Force -PassThru
}
else {
    & $importModule -Name ([System.IO.Path]::Combine($PSScriptRoot, 'bin', $framework, 'TokenAuth.PowerShell.dll')) -ErrorAction Stop -PassThru
}

# Re-importing an assembly module does not always hand its cmdlets to this module (PowerShell issue 20710).
$addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod('AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
foreach ($cmdlet in $innerModule.ExportedCmdlets.Values) {
    $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
}
