#Requires -Version 5.1
<#
.SYNOPSIS
    Builds, tests, demonstrates and packages TokenAuth.
.DESCRIPTION
    Build    regenerates the MAML help from docs/cmdlets (platyPS) and assembles the publishable module under
             out/TokenAuth (both editions' assemblies, manifest, formats, help).
    Test     installs Pester 5, SecretManagement and SecretStore when missing, then runs the README's test command, which
             includes the Pester suite (tests/pester) whenever pwsh and Pester are present.
    Demo     builds (unless -NoBuild), starts the provider emulator, registers a throwaway vault with the demo
             credentials and runs the four cmdlets against the five providers, showing what a user sees.
    Package  builds in Release (unless -NoBuild) and makes out/TokenAuth.<version>.nupkg (or in -PackagePath) with
             PSResourceGet: exactly the module folder, its manifest's release notes taken from CHANGELOG.md.
.EXAMPLE
    ./build.ps1 Demo
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'A build script talks to the person at the console; the Demo shows what a user sees there.')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'The parameters are used in the task functions, where the rule does not look.')]
[CmdletBinding()]
param (
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Package')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',

    # Demo and Package: use the module and emulator already built (the Pester suite runs them this way).
    [switch] $NoBuild,

    # Package: the folder the .nupkg goes to; out/ by default.
    [string] $PackagePath = (Join-Path $PSScriptRoot 'out')
)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$module = Join-Path $root 'out/TokenAuth'

function Invoke-Dotnet([string[]] $Arguments) {
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

function Install-Dependency([string] $Name, [version] $MinimumVersion) {
    if (Get-Module -ListAvailable -Name $Name | Where-Object Version -GE $MinimumVersion) { return }
    Write-Host "Installing $Name $MinimumVersion or later for the current user..."
    try {
        if (Get-Command Install-PSResource -ErrorAction Ignore) {
            Install-PSResource -Name $Name -Version "[$MinimumVersion,)" -Repository PSGallery -Scope CurrentUser -TrustRepository -ErrorAction Stop
        }
        else {
            Install-Module -Name $Name -MinimumVersion $MinimumVersion -Repository PSGallery -Scope CurrentUser -Force -AllowClobber -SkipPublisherCheck -ErrorAction Stop
        }
    }
    catch {
        throw "Could not install $Name from the PowerShell Gallery: $($_.Exception.Message)`n" +
            "Where no gallery is reachable, copy the $Name module ($MinimumVersion or later) from a machine that has it into a folder on `$env:PSModulePath, then run this task again."
    }
}

function Get-ReleaseNote([string] $Version) {
    # The section of CHANGELOG.md headed '## <version>', up to the next section.
    $changelog = Get-Content (Join-Path $root 'CHANGELOG.md') -Raw
    $match = [regex]::Match($changelog, "(?ms)^## $([regex]::Escape($Version))\s*`$(.*?)(?=^## |\z)")
    if (-not $match.Success) { throw "CHANGELOG.md has no section '## $Version': write what this version changes before packaging it." }
    $match.Groups[1].Value.Trim()
}

function Invoke-BuildTask {
    # Help is generated, never written: docs/cmdlets/*.md is its source.
    if (Get-Module -ListAvailable -Name platyPS) {
        Import-Module platyPS
        $null = New-ExternalHelp -Path (Join-Path $root 'docs/cmdlets') -OutputPath (Join-Path $root 'module/en-US') -Force
    }
    else {
        Write-Warning 'platyPS is not installed, so module/en-US was not regenerated from docs/cmdlets (Install-PSResource platyPS).'
    }
    Invoke-Dotnet -Arguments 'build', (Join-Path $root 'TokenAuth.sln'), '-c', $Configuration
    Write-Host "Module assembled in $module"
}

function Invoke-TestTask {
    Install-Dependency Pester 5.0.0
    Install-Dependency Microsoft.PowerShell.SecretManagement 1.1.0
    # Not used by the tests (they bring their own throwaway vault), but the vault most users will keep TokenAuth's secrets in.
    Install-Dependency Microsoft.PowerShell.SecretStore 1.0.0
    # The README's test command; its TokenAuth.Module.Tests run the Pester suite now that Pester is here.
    Invoke-Dotnet -Arguments 'test', (Join-Path $root 'TokenAuth.sln'), '--logger', 'console;verbosity=normal'
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
    if (-not $NoBuild) {
        $script:Configuration = 'Release'
        Invoke-BuildTask
    }
    Import-Module Microsoft.PowerShell.PSResourceGet -ErrorAction Stop
    # A copy, so that the release notes go into the package's manifest only.
    $staging = Join-Path ([System.IO.Path]::GetTempPath()) ('TokenAuth-package-' + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $staging
    try {
        Copy-Item -Path $module -Destination $staging -Recurse
        $manifest = Join-Path $staging 'TokenAuth/TokenAuth.psd1'
        $version = (Import-PowerShellDataFile $manifest).ModuleVersion
        Update-PSModuleManifest -Path $manifest -ReleaseNotes (Get-ReleaseNote $version)
        $null = Test-ModuleManifest -Path $manifest -ErrorAction Stop
        $null = New-Item -ItemType Directory -Path $PackagePath -Force
        Compress-PSResource -Path (Join-Path $staging 'TokenAuth') -DestinationPath $PackagePath
        Write-Host "Packaged $(Join-Path $PackagePath "TokenAuth.$version.nupkg")"
    }
    finally {
        Remove-Item -LiteralPath $staging -Recurse -Force
    }
}

foreach ($name in $Task) {
    & "Invoke-${name}Task"
}
