<#
.SYNOPSIS
    Stores a provider's credential, taken from environment variables, in a SecretStore vault for unattended use.
.DESCRIPTION
    For pipeline agents (Azure DevOps, GitHub Actions), where secrets arrive as environment variables:
    TOKENAUTH_CLIENT_ID, TOKENAUTH_CLIENT_SECRET, TOKENAUTH_CLIENT_CREDENTIAL, TOKENAUTH_API_KEY and
    TOKENAUTH_API_SECRET, whichever the provider needs (Get-TokenAuthProvider shows its CredentialFields).
    The credential is stored as TokenAuth.<Provider> in the vault named by -Vault, registered as the default vault.
    With -ResetSecretStore (for a fresh agent), SecretStore is first reset to work without a password and never
    prompt: that erases every secret already in it. In a pipeline, each value is also handed to the pipeline's
    masking (##vso[task.setsecret], ::add-mask::) before anything else is written. No value is ever printed.
.EXAMPLE
    $env:TOKENAUTH_API_KEY = '...'; $env:TOKENAUTH_API_SECRET = '...'
    ./examples/Initialize-TokenAuthVault.ps1 -Provider APIMW -ResetSecretStore
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'The secret arrives as plain text in an environment variable; this is where it becomes a SecureString.')]
[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
param (
    [Parameter(Mandatory)] [string] $Provider,
    [string] $Vault = 'TokenAuthPipeline',
    [switch] $ResetSecretStore
)

$ErrorActionPreference = 'Stop'
Import-Module Microsoft.PowerShell.SecretStore, TokenAuth

$definition = Get-TokenAuthProvider -Name $Provider
if (-not $definition) { throw "TokenAuth has no provider named '$Provider': Get-TokenAuthProvider lists them." }

$values = [ordered]@{}
foreach ($field in $definition.CredentialFields) {
    # ClientCredential -> TOKENAUTH_CLIENT_CREDENTIAL
    $variable = 'TOKENAUTH_' + ($field -creplace '(?<=[a-z])(?=[A-Z])', '_').ToUpperInvariant()
    $value = [Environment]::GetEnvironmentVariable($variable)
    if (-not $value) { throw "The environment variable $variable is not set: $Provider needs $($definition.CredentialFields -join ', ')." }
    # Escaped as each agent decodes it, and line by line for a value of several lines: TokenAuth's own masking.
    [TokenAuth.Logging.CiMasking]::CommandsFor($value, [Environment]::GetEnvironmentVariables())
    $values[$field] = $value
}

if ($ResetSecretStore -and $PSCmdlet.ShouldProcess('SecretStore', 'Reset for unattended use, erasing its secrets')) {
    Reset-SecretStore -Authentication None -Interaction None -Force -Confirm:$false -WarningAction SilentlyContinue
}
if (-not (Get-SecretVault -Name $Vault -ErrorAction Ignore)) {
    Register-SecretVault -Name $Vault -ModuleName Microsoft.PowerShell.SecretStore -DefaultVault
}

$fields = @($values.Keys)
$secret = if ($fields.Count -eq 2) {
    # A PSCredential: the identity as user name, the secret as password.
    [pscredential]::new($values[$fields[0]], (ConvertTo-SecureString $values[$fields[1]] -AsPlainText -Force))
}
else {
    $table = @{}
    foreach ($field in $fields) { $table[$field] = $values[$field] }
    $table
}
if ($PSCmdlet.ShouldProcess("TokenAuth.$Provider in $Vault", 'Store the credential')) {
    Set-Secret -Name "TokenAuth.$Provider" -Secret $secret -Vault $Vault
    Write-Information "Stored TokenAuth.$Provider ($($fields -join ', ')) in the vault $Vault." -InformationAction Continue
}
