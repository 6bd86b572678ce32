# A throwaway SecretManagement vault for TokenAuth's tests and demo. It keeps secrets in a JSON file in
# plain text, so that every runspace of the process (ForEach-Object -Parallel too) sees the same store.
# Never use it for real secrets.
@{
    ModuleVersion     = '1.0.0'
    GUID              = '0d7c2a4e-93f1-4b6a-8f0e-5c1d2b3a4e5f'
    NestedModules     = @('./TokenAuth.TestVault.Extension')
    FunctionsToExport = @()
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
