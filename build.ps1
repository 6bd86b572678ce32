#Requires -Version 5.1
<#
.SYNOPSIS
    Builds, tests, demonstrates and packages TokenAuth.
.DESCRIPTION
    Build    regenerates the MAML help from docs/cmdlets (platyPS) and assembles the publishable module under
             out/TokenAuth (both editions' assemblies, manifest, formats, help).
    Test     installs the Dependencies, then runs the README's test command, which includes the Pester suite
             (tests/pester) whenever pwsh and Pester are present.
    Dependencies installs Pester 5, SecretManagement and SecretStore for the current user when missing: from the
             PowerShell Gallery, or from the repository $env:TOKENAUTH_PSREPOSITORY names (a registered repository's
             name, or a folder or URL, registered only while it is used: an enterprise mirror, say).
    Demo     installs SecretManagement when missing (as Dependencies do), builds (unless -NoBuild), starts the provider
             emulator, registers a throwaway vault with the demo credentials and runs the four cmdlets against the five
             providers, showing what a user sees.
    Package  builds in Release (unless -NoBuild) and makes out/TokenAuth.<version>.nupkg (or in -PackagePath) with
             PSResourceGet: exactly the module folder, its manifest's release notes taken from CHANGELOG.md, and
             its dependencies (SecretManagement) from the manifest's PrivateData.PackageDependencies. Publish it
             as it is: Publish-PSResource -NupkgPath.
.EXAMPLE
    ./build.ps1 Demo
.EXAMPLE
    dotnet pwsh ./build.ps1 Demo    # with PowerShell pinned as a .NET local tool (after dotnet tool restore)
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingWriteHost', '', Justification = 'A build script talks to the person at the console; the Demo shows what a user sees there.')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', '', Justification = 'The parameters are used in the task functions, where the rule does not look.')]
[CmdletBinding()]
param (
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Package', 'Dependencies')]
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

# Where missing modules come from: the PowerShell Gallery, or the repository TOKENAUTH_PSREPOSITORY names. A folder or
# URL there is registered (trusted) only for the install and unregistered after it: an environment variable set once
# must not leave a trusted source in the user's PSResourceGet configuration.
function Install-Dependency([string] $Name, [version] $MinimumVersion) {
    if (Get-Module -ListAvailable -Name $Name | Where-Object Version -GE $MinimumVersion) { return }
    $named = $env:TOKENAUTH_PSREPOSITORY
    $hasResourceGet = [bool] (Get-Command Install-PSResource -ErrorAction Ignore)
    $registered = $named -and ($(if ($hasResourceGet) { Get-PSResourceRepository -Name $named -ErrorAction Ignore } else { Get-PSRepository -Name $named -ErrorAction Ignore }))
    $repository = if (-not $named) { 'PSGallery' } elseif ($registered) { $named } else { 'TokenAuthDependencies' }
    if ($repository -eq 'TokenAuthDependencies') {
        if (-not $hasResourceGet) { throw "TOKENAUTH_PSREPOSITORY names '$named', which is not a registered repository; register it with Register-PSRepository first." }
        Register-PSResourceRepository -Name $repository -Uri $named -Trusted
    }
    Write-Host "Installing $Name $MinimumVersion or later for the current user from $repository..."
    try {
        if ($hasResourceGet) {
            Install-PSResource -Name $Name -Version "[$MinimumVersion,)" -Repository $repository -Scope CurrentUser -TrustRepository -ErrorAction Stop
        }
        else {
            Install-Module -Name $Name -MinimumVersion $MinimumVersion -Repository $repository -Scope CurrentUser -Force -AllowClobber -SkipPublisherCheck -ErrorAction Stop
        }
    }
    catch {
        throw "Could not install $Name from $($repository): $($_.Exception.Message)`n" +
            "Where the PowerShell Gallery is not reachable, set TOKENAUTH_PSREPOSITORY to a repository or folder that has $Name ($MinimumVersion or later), " +
            "or copy the module from a machine that has it into a folder on `$env:PSModulePath, then run this task again."
    }
    finally {
        if ($repository -eq 'TokenAuthDependencies') { Unregister-PSResourceRepository -Name $repository }
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

function Invoke-DependenciesTask {
    Install-Dependency Pester 5.0.0
    Install-Dependency Microsoft.PowerShell.SecretManagement 1.1.0
    # Not used by the tests (they bring their own throwaway vault), but the vault most users will keep TokenAuth's secrets in.
    Install-Dependency Microsoft.PowerShell.SecretStore 1.0.0
}

function Invoke-TestTask {
    Invoke-DependenciesTask
    # The README's test command; its TokenAuth.Module.Tests run the Pester suite now that Pester is here.
    Invoke-Dotnet -Arguments 'test', (Join-Path $root 'TokenAuth.sln'), '--logger', 'console;verbosity=normal', '--logger', 'trx', '--results-directory', (Join-Path $root 'out/test-results')
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

        # AzureManagedIdentity takes no credential: its identity is the machine's, which a demo on this machine does not have.
        foreach ($provider in Get-TokenAuthProvider | Where-Object { $_.BuiltIn -and $_.CredentialFields.Count -gt 0 }) {
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

# The manifest's PrivateData.PackageDependencies become the package's dependencies, which a feed (the PowerShell
# Gallery, a NuGet server) hands to Install-PSResource. Compress-PSResource writes only RequiredModules there, and
# those PowerShell imports with TokenAuth, where SecretManagement is imported when a vault is first read instead.
function Add-PackageDependency([string] $Package, [hashtable[]] $Dependencies) {
    Add-Type -AssemblyName System.IO.Compression, System.IO.Compression.FileSystem
    $zip = [System.IO.Compression.ZipFile]::Open($Package, 'Update')
    try {
        $entry = $zip.Entries | Where-Object FullName -Like '*.nuspec'
        $reader = [System.IO.StreamReader]::new($entry.Open())
        try { $nuspec = [xml] $reader.ReadToEnd() } finally { $reader.Dispose() }
        $metadata = $nuspec.package['metadata']
        $list = $metadata['dependencies']
        if (-not $list) { $list = $metadata.AppendChild($nuspec.CreateElement('dependencies', $metadata.NamespaceURI)) }
        foreach ($dependency in $Dependencies) {
            $element = $list.AppendChild($nuspec.CreateElement('dependency', $metadata.NamespaceURI))
            $element.SetAttribute('id', $dependency.Id)
            $element.SetAttribute('version', $dependency.Version)
        }
        $name = $entry.FullName
        $entry.Delete()
        $writer = [System.IO.StreamWriter]::new($zip.CreateEntry($name).Open(), [System.Text.UTF8Encoding]::new($false))
        try { $nuspec.Save($writer) } finally { $writer.Dispose() }
    }
    finally {
        $zip.Dispose()
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
        # Test-ModuleManifest, not Import-PowerShellDataFile: the manifest chooses its root module by $PSEdition.
        $info = Test-ModuleManifest -Path $manifest -ErrorAction Stop
        $version = $info.Version.ToString()
        # In place of the placeholder, so that the manifest ships as written (Update-PSModuleManifest would rewrite
        # all of it, dropping its comments and turning PackageDependencies' hashtables into text). With a BOM, so
        # that Windows PowerShell reads the notes' non-ASCII characters as UTF-8.
        $placeholder = "ReleaseNotes = 'See CHANGELOG.md.'"
        $text = [System.IO.File]::ReadAllText($manifest)
        if (-not $text.Contains($placeholder)) { throw "TokenAuth.psd1 has no $placeholder for the release notes." }
        $notes = "ReleaseNotes = '" + [System.Management.Automation.Language.CodeGeneration]::EscapeSingleQuotedStringContent((Get-ReleaseNote $version)) + "'"
        [System.IO.File]::WriteAllText($manifest, $text.Replace($placeholder, $notes), [System.Text.UTF8Encoding]::new($true))
        $null = Test-ModuleManifest -Path $manifest -ErrorAction Stop
        $null = New-Item -ItemType Directory -Path $PackagePath -Force
        Compress-PSResource -Path (Join-Path $staging 'TokenAuth') -DestinationPath $PackagePath
        $package = Join-Path $PackagePath "TokenAuth.$version.nupkg"
        Add-PackageDependency -Package $package -Dependencies $info.PrivateData.PackageDependencies
        Write-Host "Packaged $package"
    }
    finally {
        Remove-Item -LiteralPath $staging -Recurse -Force
    }
}

foreach ($name in $Task) {
    & "Invoke-${name}Task"
}
