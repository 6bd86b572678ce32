@{
    RootModule           = 'TokenAuth.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = 'bb626829-f89e-4a4d-a782-dd0490ea4b51'
    Author               = 'TokenAuth'
    CompanyName          = 'TokenAuth'
    Copyright            = '(c) TokenAuth. All rights reserved.'
    Description          = 'Short-lived API tokens for scripts, pipeline steps and admin shells: credentials from SecretManagement vaults, tokens cached for the session and renewed before they expire, five providers built in and others described in JSON.'
    CompatiblePSEditions = @('Desktop', 'Core')
    PowerShellVersion    = '5.1'
    DotNetFrameworkVersion = '4.7.2'
    RequiredModules      = @('Microsoft.PowerShell.SecretManagement')
    FormatsToProcess     = @('TokenAuth.format.ps1xml')
    CmdletsToExport      = @(
        'Get-ProviderToken'
        'Invoke-AuthenticatedRequest'
        'Revoke-ProviderToken'
        'Get-WhoAmI'
        'Register-TokenAuthProvider'
        'Get-TokenAuthProvider'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('Token', 'OAuth2', 'Authentication', 'SecretManagement', 'REST', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            ProjectUri = 'https://github.com/tokenauth/TokenAuth'
        }
    }
}
