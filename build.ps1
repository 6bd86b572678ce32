#Requires -Version 5.1
<#
.SYNOPSIS
    Builds, tests, demonstrates and packages TokenAuth.
.DESCRIPTION
    Build    assembles the publishable module under out/TokenAuth (both editions' assemblies, manifest, formats, help).
    Test     installs Pester 5, SecretManagement and SecretStore when missing, then runs the README's test command, which
             includes the Pester suite (tests/pester) whenever pwsh and Pester are present.
    Demo     builds (unless -NoBuild), starts the provider emulator, registers a throwaway vault with the demo
             credentials and runs the four cmdlets against the five providers, showing what a user sees.
    Package  builds in Release and zips out/TokenAuth as out/TokenAuth.<version>.zip.
.EXAMPLE
    ./build.ps1 Demo
#>
[CmdletBinding()]
param (
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Package')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',

    # Demo only: use the module and emulator already built (the Pester suite runs the Demo this way).
    [switch] $NoBuild
)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$module = Join-Path $root 'out/TokenAuth'

function Invoke-Dotnet {
    & dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE." }
}

function Install-Dependency([string] $Name, [version] $MinimumVersion) {
    if (Get-Module -ListAvailable -Name $Name | Where-Object Version -GE $MinimumVersion) { return }
    Write-Host "Installing $Name $MinimumVersion or later for the current user..."
    try {
        Install-Module -Name $Name -MinimumVersion $MinimumVersion -Repository PSGallery -Scope CurrentUser -Force -AllowClobber -SkipPublisherCheck -ErrorAction Stop
    }
    catch {
        throw "Could not install $Name from the PowerShell Gallery: $($_.Exception.Message)`n" +
            "Where no gallery is reachable, copy the $Name module ($MinimumVersion or later) from a machine that has it into a folder on `$env:PSModulePath, then run this task again."
    }
}

function Get-Version {
    ([xml] (Get-Content (Join-Path $root 'Directory.Build.props') -Raw)).Project.PropertyGroup.Version
}

function Invoke-BuildTask {
    Invoke-Dotnet build (Join-Path $root 'TokenAuth.sln') -c $Configuration
    # The manifest's version comes from Directory.Build.props, the one place it is kept.
    $manifest = Join-Path $module 'TokenAuth.psd1'
    (Get-Content $manifest -Raw) -replace "ModuleVersion(\s*)=(\s*)'[^']*'", "ModuleVersion`$1=`$2'$(Get-Version)'" | Set-Content $manifest -Encoding utf8
    Write-Host "Module assembled in $module"
}

function Invoke-TestTask {
    Install-Dependency Pester 5.0.0
    Install-Dependency Microsoft.PowerShell.SecretManagement 1.1.0
    # Not used by the tests (they bring their own throwaway vault), but the vault most users will keep TokenAuth's secrets in.
    Install-Dependency Microsoft.PowerShell.SecretStore 1.0.0
    # The README's test command; its TokenAuth.Module.Tests run the Pester suite now that Pester is here.
    Invoke-Dotnet test (Join-Path $root 'TokenAuth.sln') --logger 'console;verbosity=normal'
}

function Invoke-DemoTask {
    Install-Dependency Microsoft.PowerShell.SecretManagement 1.1.0
    if (-not $NoBuild) { Invoke-BuildTask }
    Import-Module Microsoft.PowerShell.SecretManagement
    Import-Module (Join-Path $module 'TokenAuth.psd1') -Force
    Import-Module (Join-Path $root 'tests/pester/TokenAuth.TestSupport.psm1') -Force

    $vault = 'TokenAuthDemo'
    Invoke-WithTokenAuthDemo -VaultName $vault -ScriptBlock {
        param ($emulator)
        Write-Host "Emulator at $($emulator.Root); demo credentials stored in the throwaway vault '$vault' as TokenAuth.<Provider>." -ForegroundColor Green
        Get-TokenAuthProvider | Format-Table | Out-Host

        foreach ($provider in Get-TokenAuthProvider | Where-Object BuiltIn) {
            $target = @{ Provider = $provider.Name; BaseUri = (Get-TokenAuthEmulatorBaseUri -Emulator $emulator -Provider $provider.Name); Vault = $vault }
            Write-Host "`n=== $($provider.Name) ===" -ForegroundColor Cyan

            Write-Host "> Get-ProviderToken -Provider $($provider.Name) (twice: the second comes from the cache)"
            @(Get-ProviderToken @target; Get-ProviderToken @target) | Format-Table | Out-Host

            Write-Host "> Invoke-AuthenticatedRequest -Provider $($provider.Name) -Uri resources/sample"
            Invoke-AuthenticatedRequest @target -Uri 'resources/sample' | Format-List | Out-Host

            Write-Host "> Get-WhoAmI -Provider $($provider.Name)"
            Get-WhoAmI @target -ErrorAction Continue | Format-List | Out-Host

            Write-Host "> Revoke-ProviderToken -Provider $($provider.Name)"
            Revoke-ProviderToken @target -Confirm:$false | Format-Table -Wrap | Out-Host
        }
    }
}

function Invoke-PackageTask {
    $script:Configuration = 'Release'
    Invoke-BuildTask
    $zip = Join-Path $root "out/TokenAuth.$(Get-Version).zip"
    Compress-Archive -Path $module -DestinationPath $zip -Force
    Write-Host "Packaged $zip"
}

foreach ($name in $Task) {
    & "Invoke-${name}Task"
}
