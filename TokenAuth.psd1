@{
    # The source of out/TokenAuth/TokenAuth.psd1: the build drops the "module/" and "out/TokenAuth/" prefixes (and sets
    # the version), so that this manifest also imports from a clone once 'dotnet build' has made out/TokenAuth/bin.
    # The cmdlet assembly built for the edition is the root module itself, with no script module to choose it: that
    # script module cost a fresh pwsh step about 60 ms. bin/net8.0 holds nothing PowerShell 7 carries; bin/netstandard2.0
    # brings its own dependencies for Windows PowerShell 5.1. Manifests may read $PSEdition (PowerShell 5.1 and later,
    # PSResourceGet, Test-ModuleManifest); Import-PowerShellDataFile cannot read this one.
    RootModule           = if ($PSEdition -eq 'Core') { 'out/TokenAuth/bin/net8.0/TokenAuth.PowerShell.dll' } else { 'out/TokenAuth/bin/netstandard2.0/TokenAuth.PowerShell.dll' }
    ModuleVersion        = '0.2.0'
    GUID                 = 'bb626829-f89e-4a4d-a782-dd0490ea4b51'
    Author               = 'TokenAuth'
    CompanyName          = 'TokenAuth'
    Copyright            = '(c) TokenAuth. All rights reserved.'
    Description          = 'Short-lived API tokens for scripts, pipeline steps and admin shells: credentials from SecretManagement vaults, tokens cached for the session and renewed before they expire, five providers built in and others described in JSON.'
    CompatiblePSEditions = @('Desktop', 'Core')
    # The net8.0 build needs .NET 8: PowerShell 7.4 is the first on it.
    PowerShellVersion    = if ($PSEdition -eq 'Core') { '7.4' } else { '5.1' }
    DotNetFrameworkVersion = '4.7.2'
    # No RequiredModules: PowerShell would import SecretManagement with TokenAuth on every import, vault or not.
    # TokenAuth imports it when a vault is first read; the package depends on it (PackageDependencies, below).
    RequiredModules      = @()
    FormatsToProcess     = @('module/TokenAuth.format.ps1xml')
    CmdletsToExport      = @(
        'Get-ProviderToken'
        'Invoke-AuthenticatedRequest'
        'Revoke-ProviderToken'
        'Get-WhoAmI'
        'Register-TokenAuthProvider'
        'Unregister-TokenAuthProvider'
        'Get-TokenAuthProvider'
        'Get-ProviderTokenCache'
        'Set-TokenAuthOption'
        'Get-TokenAuthOption'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Token', 'OAuth2', 'Authentication', 'SecretManagement', 'REST', 'Paging', 'AzureDevOps', 'GitHubActions', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            ProjectUri   = 'https://github.com/tokenauth/TokenAuth'
            LicenseUri   = 'https://github.com/tokenauth/TokenAuth/blob/main/LICENSE'
            # build.ps1 Package puts this version's section of CHANGELOG.md here.
            ReleaseNotes = 'See CHANGELOG.md.'
        }
        # The package's dependencies, as in its .nuspec (build.ps1 Package writes them there), so that installing TokenAuth
        # from a feed brings them along; each is imported when first needed, never at import.
        PackageDependencies = @(@{ Id = 'Microsoft.PowerShell.SecretManagement'; Version = '1.1.0' })
    }
}
