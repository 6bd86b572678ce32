# Loads the cmdlet assembly built for this edition: bin/net8.0 on PowerShell 7.4+, bin/netstandard2.0 (with its
# own dependencies, resolved from that folder) on Windows PowerShell 5.1. The net8.0 folder holds nothing that
# PowerShell 7 already carries, so no second copy of System.Text.Json or the like is ever loaded.
#
# Importing the assembly by path into this script module and re-exporting its cmdlets is the documented way for a
# script module to carry a binary one; it works for Import-Module -Force and autoloading alike (both are tested).

if ($PSEdition -eq 'Core') {
    $version = $PSVersionTable.PSVersion
    if ($version.Major -eq 7 -and $version.Minor -lt 4) {
        throw "TokenAuth needs PowerShell 7.4 or later on PowerShell Core (this is $version); Windows PowerShell 5.1 works too."
    }
    $framework = 'net8.0'
}
else {
    $framework = 'netstandard2.0'
}

# bin/ sits beside this file in the module folder; imported from a clone (./TokenAuth.psd1), it is in out/TokenAuth.
$assembly = foreach ($folder in $PSScriptRoot, [System.IO.Path]::Combine($PSScriptRoot, '..', 'out', 'TokenAuth')) {
    $candidate = [System.IO.Path]::Combine($folder, 'bin', $framework, 'TokenAuth.PowerShell.dll')
    if ([System.IO.File]::Exists($candidate)) { $candidate; break }
}
if (-not $assembly) {
    throw "TokenAuth is not built: run 'dotnet build TokenAuth.sln', then import ./TokenAuth.psd1 or out/TokenAuth/TokenAuth.psd1."
}

# Module-qualified, so that a proxy function named Import-Module in the session cannot step in.
Microsoft.PowerShell.Core\Import-Module -Name $assembly -ErrorAction Stop
Export-ModuleMember -Cmdlet *
