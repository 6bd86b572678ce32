# No shared secret: tokens got with a signed client assertion (RFC 7523, private_key_jwt) through the cmdlets, with
# the key from a PFX in a real SecretStore vault or from PEM files, against the emulator's standard OAuth2 server,
# which verifies each assertion's signature, audience, time and jti.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'Test values: a throwaway PFX password.')]
param ()

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json')
    $script:Certificates = New-TokenAuthTestCertificate -Path (Join-Path $TestDrive 'certificates')
    $script:Emulator = Start-TokenAuthEmulator -ArgumentList '--assertion-certificate', "demo-jwt-client=$($Certificates.ClientPem)",
        '--assertion-certificate', "demo-ec-client=$(Join-Path $Certificates.Folder 'ec-client.pem')"
    $script:Base = $Emulator.Root

    # The private_key_jwt example, renamed, with another algorithm or key source.
    function Register-JwtVariant([string] $Name, [string] $Algorithm = 'RS256', [hashtable] $Certificate) {
        Register-TokenAuthExampleVariant -Example oauth2-private-key-jwt.json -Name $Name -Folder $Certificates.Folder -Edit {
            param ($definition)
            $definition.token.assertion = @{ algorithm = $Algorithm }
            if ($Certificate) { $definition.clientCertificate = $Certificate }
        }
    }

    function Save-ClientIdSecret([string] $Provider, [string] $ClientId) {
        Set-Secret -Name "TokenAuth.$Provider" -Secret @{ ClientId = $ClientId } -Vault $Session.VaultName
    }
}

AfterAll {
    Stop-TokenAuthEmulator $Emulator
    Exit-TokenAuthTestSession -Session $Session
}

Describe 'private_key_jwt' {
    It 'gets a token with an RSA key from a PFX in a real SecretStore vault (PS256), and calls the API with it' -Skip:(-not (Get-Module -ListAvailable Microsoft.PowerShell.SecretStore)) {
        $definition = Register-JwtVariant 'VaultJwtOAuth2' -Algorithm PS256
        $script = (Get-TokenAuthSecretStoreScript) +
            "Set-Secret -Name TokenAuth.VaultJwtOAuth2 -Secret @{ ClientId = 'demo-jwt-client' }; " +
            "Set-Secret -Name ExampleOAuth2Jwt.Pfx -Secret ([IO.File]::ReadAllBytes('$($Certificates.ClientPfx)')); " +
            "Set-Secret -Name ExampleOAuth2Jwt.PfxPassword -Secret (ConvertTo-SecureString '$($Certificates.Password)' -AsPlainText -Force); " +
            "`$null = Register-TokenAuthProvider '$definition'; " +
            "(Invoke-AuthenticatedRequest VaultJwtOAuth2 -BaseUri '$Base' -Uri oauth2/resources/sample -Verbose -Debug *>&1 | ForEach-Object { `"`$_`" })"
        $output = Invoke-TokenAuthFreshPwsh $script -IsolatedHome (Join-Path $TestDrive 'store-home')
        $text = $output -join "`n"

        $LASTEXITCODE | Should -Be 0
        $text | Should -Match 'demo-jwt-client'
        $text | Should -Not -Match 'eyJ[\w-]+\.eyJ[\w-]+' -Because 'neither the assertion nor the token may be shown'
        $text | Should -Not -Match $Certificates.Password
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/assertion-accepted' | Should -BeGreaterOrEqual 1
    }

    It 'gets a token with an EC key from PEM files (ES256), a fresh assertion for each token request' {
        $null = Register-JwtVariant 'PemJwtOAuth2' -Algorithm ES256 -Certificate @{ certificateFile = 'ec-client.pem'; keyFile = 'ec-client.key' }
        Save-ClientIdSecret 'PemJwtOAuth2' 'demo-ec-client'
        Reset-TokenAuthEmulator $Emulator

        $first = Get-ProviderToken PemJwtOAuth2 -BaseUri $Base
        $text = Get-TokenAuthAllStream { Get-ProviderToken PemJwtOAuth2 -BaseUri $Base -Force -Verbose -Debug }
        $answer = Invoke-AuthenticatedRequest PemJwtOAuth2 -BaseUri $Base -Uri oauth2/resources/sample

        $first.Provider | Should -Be 'PemJwtOAuth2'
        $answer.identity | Should -Be 'demo-ec-client'
        # Each token request signed a new assertion: the emulator refuses a jti it has seen, and refused none.
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/assertion-accepted' | Should -Be 2
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/assertion-refused' | Should -BeNullOrEmpty
        $text | Should -Not -Match 'eyJ[\w-]+\.eyJ[\w-]+'
    }

    It 'quotes the server''s invalid_client when the key is not the one registered, and never the assertion' {
        $null = Register-JwtVariant 'WrongKeyJwtOAuth2' -Certificate @{ certificateFile = 'ec-client.pem'; keyFile = 'ec-client.key' } -Algorithm ES256
        Save-ClientIdSecret 'WrongKeyJwtOAuth2' 'demo-jwt-client'

        $text = Get-TokenAuthAllStream { Get-ProviderToken WrongKeyJwtOAuth2 -BaseUri $Base -Verbose -Debug -ErrorAction Continue }
        Get-ProviderToken WrongKeyJwtOAuth2 -BaseUri $Base -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].FullyQualifiedErrorId | Should -Be 'ProviderRejectedToken,TokenAuth.Commands.GetProviderTokenCommand'
        $failure[0].ErrorDetails.Message | Should -Match 'WrongKeyJwtOAuth2 token request refused \(401 invalid_client\): The assertion''s signature \(ES256\) does not verify'
        $text | Should -Not -Match 'eyJ[\w-]+\.eyJ[\w-]+'
    }

    It 'names a certificate whose key does not fit the algorithm before anything is sent' {
        $null = Register-JwtVariant 'MismatchJwtOAuth2' -Algorithm ES256 -Certificate @{ certificateFile = 'client.pem'; keyFile = 'client.key' }
        Save-ClientIdSecret 'MismatchJwtOAuth2' 'demo-jwt-client'
        Reset-TokenAuthEmulator $Emulator

        Get-ProviderToken MismatchJwtOAuth2 -BaseUri $Base -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].FullyQualifiedErrorId | Should -Be 'ClientCertificateUnusable,TokenAuth.Commands.GetProviderTokenCommand'
        "$($failure[0])" | Should -Match 'ES256 needs an EC \(P-256\) private key'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -BeNullOrEmpty
    }

    It 'says a certificate is needed when the definition names none and -Certificate is not given' {
        $definition = Register-JwtVariant 'NoKeyJwtOAuth2'
        $json = Get-Content $definition -Raw | ConvertFrom-Json -AsHashtable
        $json.Remove('clientCertificate')
        $json | ConvertTo-Json -Depth 10 | Set-Content $definition
        $null = Register-TokenAuthProvider $definition
        Save-ClientIdSecret 'NoKeyJwtOAuth2' 'demo-jwt-client'

        Get-ProviderToken NoKeyJwtOAuth2 -BaseUri $Base -ErrorVariable failure -ErrorAction SilentlyContinue
        $token = Get-ProviderToken NoKeyJwtOAuth2 -BaseUri $Base -Certificate $Certificates.Client

        $failure[0].FullyQualifiedErrorId | Should -BeLike 'InvalidCredential,*'
        "$($failure[0])" | Should -Match 'takes a signed client assertion \(PrivateKeyJwt\)'
        $token.Provider | Should -Be 'NoKeyJwtOAuth2'
    }
}
