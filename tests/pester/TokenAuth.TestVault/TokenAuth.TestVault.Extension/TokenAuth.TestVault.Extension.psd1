@{
    ModuleVersion     = '1.0.0'
    GUID              = '6b1e9d3f-2a7c-4e58-b0d4-9f8a7c6e5d43'
    RootModule        = 'TokenAuth.TestVault.Extension.psm1'
    FunctionsToExport = @('Get-Secret', 'Set-Secret', 'Remove-Secret', 'Get-SecretInfo', 'Test-SecretVault')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
