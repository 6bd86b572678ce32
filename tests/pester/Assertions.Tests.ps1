# No shared secret: tokens got with a signed client assertion (RFC 7523, private_key_jwt) through the cmdlets, with
# the key from a PFX in a real SecretStore vault or from PEM files, against the emulator's standard OAuth2 server,
# which verifies each assertion's signature, audience, time and jti.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'Test values: a throwaway PFX password.')]
param ()

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json')
    $script:Certificates = New-TokenAuthTestCertificate -Path (Join-Path $TestDrive 'certificates')
    # The federated client trusts the emulated GitHub Actions job, one Azure Pipelines service connection, and the pipeline itself.
    $script:ServiceConnection = '6f3c1b0e-2b7a-4c1e-9d7e-0a1b2c3d4e5f'
    $script:Emulator = Start-TokenAuthEmulator -ArgumentList '--assertion-certificate', "demo-jwt-client=$($Certificates.ClientPem)",
        '--assertion-certificate', "demo-ec-client=$(Join-Path $Certificates.Folder 'ec-client.pem')",
        '--federated-credential', 'demo-federated-client=repo:tokenauth/emulator:ref:refs/heads/main',
        '--federated-credential', "demo-federated-client=sc://tokenauth/emulator/$ServiceConnection"
    $script:Base = $Emulator.Root
    # The variables a GitHub Actions job with id-token: write, and an Azure Pipelines step that maps SYSTEM_ACCESSTOKEN, have.
    $script:GitHubVariables = @{
        ACTIONS_ID_TOKEN_REQUEST_URL   = "$($Base)github-actions/idtoken?api-version=2.0"
        ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'emulator-actions-id-token-request-token'
    }
    $script:AzureDevOpsVariables = @{
        SYSTEM_OIDCREQUESTURI = "$($Base)azure-devops/oidctoken"
        SYSTEM_ACCESSTOKEN    = 'emulator-azure-pipelines-system-access-token'
    }

    # The private_key_jwt example, renamed, with another algorithm or key source.
    function Register-JwtVariant([string] $Name, [string] $Algorithm = 'RS256', [hashtable] $Certificate) {
        Register-TokenAuthExampleVariant -Example oauth2-private-key-jwt.json -Name $Name -Folder $Certificates.Folder -Edit {
            param ($definition)
            $definition.token.assertion = @{ algorithm = $Algorithm }
            if ($Certificate) { $definition.clientCertificate = $Certificate }
        }
    }

    # The federated example, renamed, with a source of its own (or none).
    function Register-FederatedVariant([string] $Name, [string] $Source) {
        Register-TokenAuthExampleVariant -Example oauth2-federated.json -Name $Name -Folder $Certificates.Folder -Edit {
            param ($definition)
            if ($Source) { $definition.token.assertion = @{ source = $Source } }
        }
    }

    # Every OIDC token the emulated pipelines issued: none may show up in any stream.
    function Get-IssuedOidcToken { @((Invoke-RestMethod "$($Base)_emulator/evidence").oidcTokens) }

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
            (Get-TokenAuthPfxSecretScript -Certificates $Certificates -PfxSecret ExampleOAuth2Jwt.Pfx -UnlockSecret ExampleOAuth2Jwt.PfxPassword) +
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

Describe 'federated assertions (workload identity federation)' {
    BeforeEach { Reset-TokenAuthEmulator $Emulator }

    It 'gets a token with a GitHub Actions OIDC token in a fresh pwsh, a fresh one for each token request, and shows none of them' {
        $definition = Register-FederatedVariant 'GitHubFederatedOAuth2' -Source 'GitHubActions:api://AzureADTokenExchange'
        $script = "`$null = Register-TokenAuthProvider '$definition'; " +
            "`$all = & { Invoke-AuthenticatedRequest GitHubFederatedOAuth2 -BaseUri '$Base' -ClientId demo-federated-client -ClientAssertion GitHubActions:api://AzureADTokenExchange -Uri oauth2/resources/sample -Verbose -Debug; " +
            "  Get-ProviderToken GitHubFederatedOAuth2 -BaseUri '$Base' -ClientId demo-federated-client -ClientAssertion GitHubActions:api://AzureADTokenExchange -Force -Verbose -Debug; " +
            "  Get-ProviderToken GitHubFederatedOAuth2 -BaseUri '$Base' -ClientId demo-federated-client -ClientAssertion GitHubActions:api://AzureADTokenExchange -Force -Verbose -Debug | Format-List * | Out-String } *>&1; " +
            "`$all | ForEach-Object { if (`$_ -is [Management.Automation.ErrorRecord]) { `"`$_ `$(`$_.Exception)`" } else { `"`$_`" } }"
        $output = Invoke-TokenAuthFreshPwsh $script -Environment $GitHubVariables
        $text = $output -join "`n"
        $issued = Get-IssuedOidcToken

        $LASTEXITCODE | Should -Be 0
        $text | Should -Match 'demo-federated-client'
        $text | Should -Match 'getting a client assertion from GitHubActions:api://AzureADTokenExchange'
        # Three token requests, three OIDC tokens, each accepted once: none was sent twice.
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'github-actions/idtoken' | Should -Be 3
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/assertion-accepted' | Should -Be 3
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/assertion-refused' | Should -BeNullOrEmpty
        $issued.Count | Should -Be 3
        @($issued | Select-Object -Unique).Count | Should -Be 3
        foreach ($token in $issued) { $text.Contains($token) | Should -BeFalse -Because 'an OIDC token is a credential' }
        $text.Contains($GitHubVariables.ACTIONS_ID_TOKEN_REQUEST_TOKEN) | Should -BeFalse
    }

    It 'gets a token with an Azure Pipelines service connection''s OIDC token in a fresh pwsh, no vault, and revokes it with another' {
        $definition = Register-FederatedVariant 'PipelineFederatedOAuth2'
        $script = "`$null = Register-TokenAuthProvider '$definition'; " +
            "`$all = & { `$token = Get-ProviderToken PipelineFederatedOAuth2 -BaseUri '$Base' -ClientId demo-federated-client -ClientAssertion AzureDevOps:$ServiceConnection -Verbose -Debug; " +
            "  `$token | Format-List * | Out-String; `$token | Revoke-ProviderToken -Confirm:`$false -Verbose -Debug } *>&1; " +
            "`$all | ForEach-Object { if (`$_ -is [Management.Automation.ErrorRecord]) { `"`$_ `$(`$_.Exception)`" } else { `"`$_`" } }"
        $output = Invoke-TokenAuthFreshPwsh $script -Environment $AzureDevOpsVariables
        $text = $output -join "`n"

        $LASTEXITCODE | Should -Be 0
        $text | Should -Match 'PipelineFederatedOAuth2'
        $text | Should -Not -Match 'Exception'
        # The token request and the revocation (RFC 7009, the client authenticated) each had their own OIDC token.
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'azure-devops/oidctoken' | Should -Be 2
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/assertion-accepted' | Should -Be 2
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/revoke' | Should -Be 1
        foreach ($token in Get-IssuedOidcToken) { $text.Contains($token) | Should -BeFalse }
        $text.Contains($AzureDevOpsVariables.SYSTEM_ACCESSTOKEN) | Should -BeFalse
    }

    It 'registers the OIDC token with the CI''s log masking (##vso[task.setsecret]) and writes it nowhere else' {
        $definition = Register-FederatedVariant 'MaskedFederatedOAuth2'
        $script = "`$null = Register-TokenAuthProvider '$definition'; " +
            "`$null = Get-ProviderToken MaskedFederatedOAuth2 -BaseUri '$Base' -ClientId demo-federated-client -ClientAssertion AzureDevOps:$ServiceConnection -Verbose"
        $variables = $AzureDevOpsVariables.Clone()
        $variables.TF_BUILD = 'True'
        $before = Get-IssuedOidcToken
        $output = Invoke-TokenAuthFreshPwsh $script -Environment $variables
        $issued = @(Get-IssuedOidcToken | Where-Object { $_ -notin $before })

        $LASTEXITCODE | Should -Be 0
        $issued.Count | Should -Be 1
        @($output | Where-Object { $_ -eq "##vso[task.setsecret]$($issued[0])" }).Count | Should -Be 1
        @($output | Where-Object { $_.Contains($issued[0]) }).Count | Should -Be 1
    }

    It 'quotes the server''s invalid_client when no federated credential matches, with a hint, and never the assertion' {
        $null = Register-FederatedVariant 'UntrustedFederatedOAuth2' -Source 'AzureDevOps'

        $text = Use-TokenAuthEnvironment $AzureDevOpsVariables {
            Get-TokenAuthAllStream { Get-ProviderToken UntrustedFederatedOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion AzureDevOps -Verbose -Debug -ErrorAction Continue }
        }
        $failure = Use-TokenAuthEnvironment $AzureDevOpsVariables {
            Get-ProviderToken UntrustedFederatedOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion AzureDevOps -ErrorVariable refused -ErrorAction SilentlyContinue
            $refused
        }

        $failure[0].FullyQualifiedErrorId | Should -Be 'ProviderRejectedToken,TokenAuth.Commands.GetProviderTokenCommand'
        $failure[0].ErrorDetails.Message | Should -Match 'refused \(401 invalid_client\): No federated credential of client ''demo-federated-client'' matches .*p://tokenauth/emulator/pipeline'
        $failure[0].ErrorDetails.RecommendedAction | Should -Match 'federated credential matching the assertion''s issuer, subject and audience'
        foreach ($token in Get-IssuedOidcToken) { $text.Contains($token) | Should -BeFalse }
    }

    It 'names the missing pipeline variables: <Source>' -ForEach @(
        @{ Source = 'GitHubActions'; Variables = @{ ACTIONS_ID_TOKEN_REQUEST_URL = $null; ACTIONS_ID_TOKEN_REQUEST_TOKEN = $null }; Expected = 'ACTIONS_ID_TOKEN_REQUEST_URL is not set: not running in GitHub Actions, or the job lacks `permissions: id-token: write`\?' }
        @{ Source = 'GitHubActions'; Variables = @{ ACTIONS_ID_TOKEN_REQUEST_URL = 'https://example.invalid/idtoken'; ACTIONS_ID_TOKEN_REQUEST_TOKEN = $null }; Expected = 'ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set' }
        @{ Source = 'AzureDevOps'; Variables = @{ SYSTEM_OIDCREQUESTURI = $null; SYSTEM_ACCESSTOKEN = $null }; Expected = 'SYSTEM_OIDCREQUESTURI is not set: not running in an Azure Pipelines job\?' }
        @{ Source = 'AzureDevOps'; Variables = @{ SYSTEM_OIDCREQUESTURI = 'https://example.invalid/oidctoken'; SYSTEM_ACCESSTOKEN = $null }; Expected = 'SYSTEM_ACCESSTOKEN is not set: map it into the step''s environment \(env: SYSTEM_ACCESSTOKEN: \$\(System.AccessToken\)\)' }
        @{ Source = 'GitHubActions'; Variables = @{ ACTIONS_ID_TOKEN_REQUEST_URL = 'http://example.com/idtoken'; ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'request-token' }; Expected = 'ACTIONS_ID_TOKEN_REQUEST_URL is not an https address, so ACTIONS_ID_TOKEN_REQUEST_TOKEN is not sent to it' }
    ) {
        $null = Register-FederatedVariant 'UnsetFederatedOAuth2'

        $failure = Use-TokenAuthEnvironment $Variables {
            Get-ProviderToken UnsetFederatedOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion $Source -ErrorVariable refused -ErrorAction SilentlyContinue
            $refused
        }

        $failure[0].FullyQualifiedErrorId | Should -Be 'ClientAssertionUnavailable,TokenAuth.Commands.GetProviderTokenCommand'
        $failure[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        "$($failure[0])" | Should -Match "UnsetFederatedOAuth2: no client assertion from ${Source}: $Expected"
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -BeNullOrEmpty
    }

    It 'names the pipeline endpoint''s refusal of its request token, and never that token' {
        $null = Register-FederatedVariant 'WrongRequestTokenOAuth2' -Source 'GitHubActions'
        $variables = $GitHubVariables.Clone()
        $variables.ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'not-the-runner-request-token'

        $text = Use-TokenAuthEnvironment $variables {
            Get-TokenAuthAllStream { Get-ProviderToken WrongRequestTokenOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion GitHubActions -Verbose -Debug -ErrorAction Continue }
        }

        $text | Should -Match 'no client assertion from GitHubActions: GitHub Actions'' OIDC token endpoint answered 401: Unable to authenticate the ID token request\. \(does the job have `permissions: id-token: write`\?\)'
        $text | Should -Not -Match 'not-the-runner-request-token'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -BeNullOrEmpty
    }

    It 'reads the assertion from an environment variable and from a file (a path relative to the current location), afresh each time' {
        $null = Register-FederatedVariant 'FileFederatedOAuth2'
        $fetch = { (Invoke-RestMethod "$($Base)github-actions/idtoken?audience=api://AzureADTokenExchange" -Headers @{ Authorization = "Bearer $($GitHubVariables.ACTIONS_ID_TOKEN_REQUEST_TOKEN)" }).value }
        $folder = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'projected') -Force

        Set-Content -Path (Join-Path $folder 'token') -Value (& $fetch) -NoNewline
        Push-Location $folder
        try { $fromFile = Get-ProviderToken FileFederatedOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion File:token } finally { Pop-Location }
        # The file is replaced (as Kubernetes renews a projected token); a new token request reads the new one.
        Set-Content -Path (Join-Path $folder 'token') -Value (& $fetch) -NoNewline
        $renewed = Get-ProviderToken FileFederatedOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion "File:$(Join-Path $folder 'token')" -Force
        $fromVariable = Use-TokenAuthEnvironment @{ TOKENAUTH_TEST_ASSERTION = (& $fetch) } {
            Get-ProviderToken FileFederatedOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion Env:TOKENAUTH_TEST_ASSERTION
        }

        $fromFile.Provider, $renewed.Provider, $fromVariable.Provider | Should -Be 'FileFederatedOAuth2', 'FileFederatedOAuth2', 'FileFederatedOAuth2'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/assertion-accepted' | Should -Be 3
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/assertion-refused' | Should -BeNullOrEmpty
    }

    It 'refuses an expired assertion and one that is not a JWT before anything is sent, never quoting either' {
        $null = Register-FederatedVariant 'ExpiredFederatedOAuth2'
        $expired = 'eyJhbGciOiJSUzI1NiJ9.' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('{"sub":"x","exp":1700000000}')).TrimEnd('=').Replace('+', '-').Replace('/', '_') + '.c2lnbmF0dXJl'
        $path = Join-Path $TestDrive 'expired-token'
        Set-Content -Path $path -Value $expired -NoNewline

        $text = Get-TokenAuthAllStream { Get-ProviderToken ExpiredFederatedOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion "File:$path" -ErrorAction Continue }
        $notJwt = Use-TokenAuthEnvironment @{ TOKENAUTH_TEST_ASSERTION = 'secret value that is no JWT' } {
            Get-TokenAuthAllStream { Get-ProviderToken ExpiredFederatedOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion Env:TOKENAUTH_TEST_ASSERTION -ErrorAction Continue }
        }

        $text | Should -Match "no client assertion from File:.*expired-token: it expired at 2023-11-14 22:13:20Z \(this machine's clock reads"
        $text | Should -Not -Match ([regex]::Escape($expired))
        $notJwt | Should -Match 'no client assertion from Env:TOKENAUTH_TEST_ASSERTION: it is not a signed JWT'
        $notJwt | Should -Not -Match 'secret value'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -BeNullOrEmpty
    }

    It 'runs a -ClientAssertion script block for each token request, a SecureString from it too' {
        $null = Register-FederatedVariant 'ScriptFederatedOAuth2'
        $script:ScriptRuns = 0
        $source = {
            $script:ScriptRuns++
            $value = (Invoke-RestMethod "$($Base)github-actions/idtoken?audience=api://AzureADTokenExchange" -Headers @{ Authorization = "Bearer $($GitHubVariables.ACTIONS_ID_TOKEN_REQUEST_TOKEN)" }).value
            ConvertTo-SecureString $value -AsPlainText -Force
        }

        $first = Get-ProviderToken ScriptFederatedOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion $source
        $cached = Get-ProviderToken ScriptFederatedOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion $source
        $forced = Get-ProviderToken ScriptFederatedOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion $source -Force
        Get-ProviderToken ScriptFederatedOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion { 'one'; 'two' } -ErrorVariable failure -ErrorAction SilentlyContinue

        $script:ScriptRuns | Should -Be 2
        $cached.ExpiresOn | Should -Be $first.ExpiresOn
        $forced.Provider | Should -Be 'ScriptFederatedOAuth2'
        "$($failure[0])" | Should -Match 'no client assertion from the -ClientAssertion script block: it returned 2 objects, where the assertion must come back as one string'
    }

    It 'runs a piped token''s script block with the command it is piped to, not the one that got it and has ended' {
        $null = Register-FederatedVariant 'PipedScriptOAuth2'
        $script:ScriptRuns = 0
        $source = {
            $script:ScriptRuns++
            (Invoke-RestMethod "$($Base)github-actions/idtoken?audience=api://AzureADTokenExchange" -Headers @{ Authorization = "Bearer $($GitHubVariables.ACTIONS_ID_TOKEN_REQUEST_TOKEN)" }).value
        }
        $first = Get-ProviderToken PipedScriptOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion $source

        # Renewing the piped token asks the script block again: on this command's thread, or it would wait for one that is gone.
        $renewed = $first | Get-ProviderToken -Force -TimeoutSec 10 -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure | Should -BeNullOrEmpty
        $renewed.FromCache | Should -BeFalse
        $script:ScriptRuns | Should -Be 2
    }

    It 'keeps one token per assertion source: another source never gets the first one''s token' {
        $null = Register-FederatedVariant 'TwoSourceOAuth2'

        $gitHub = Use-TokenAuthEnvironment $GitHubVariables { Get-ProviderToken TwoSourceOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion GitHubActions:api://AzureADTokenExchange }
        $azure = Use-TokenAuthEnvironment $AzureDevOpsVariables { Get-ProviderToken TwoSourceOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion AzureDevOps:$ServiceConnection }
        $again = Use-TokenAuthEnvironment $GitHubVariables { Get-ProviderToken TwoSourceOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion GitHubActions:api://AzureADTokenExchange }

        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -Be 2
        $gitHub.ClientAssertion, $azure.ClientAssertion | Should -Be 'GitHubActions:api://AzureADTokenExchange', "AzureDevOps:$ServiceConnection"
        $again.FromCache | Should -BeTrue
        $again.ClientAssertion | Should -Be 'GitHubActions:api://AzureADTokenExchange'
        (Get-ProviderTokenCache | Where-Object Provider -EQ 'TwoSourceOAuth2').ClientAssertion | Sort-Object |
            Should -Be "AzureDevOps:$ServiceConnection", 'GitHubActions:api://AzureADTokenExchange'
    }

    It 'takes the session''s source (Set-TokenAuthOption -ClientAssertion) for the provider it names, until it is cleared' {
        $null = Register-FederatedVariant 'SessionFederatedOAuth2'
        try {
            Set-TokenAuthOption -ClientAssertion GitHubActions:api://AzureADTokenExchange -ClientAssertionProvider SessionFederatedOAuth2
            $shown = (Get-TokenAuthOption).ClientAssertion
            $token = Use-TokenAuthEnvironment $GitHubVariables { Get-ProviderToken SessionFederatedOAuth2 -BaseUri $Base -ClientId demo-federated-client }
            { Set-TokenAuthOption -ClientAssertion { 'a script' } } | Should -Throw -ExpectedMessage '*A script block runs with the command that names it*'
        }
        finally {
            Set-TokenAuthOption -ClientAssertion ''
        }

        $shown | Should -Be 'SessionFederatedOAuth2=GitHubActions:api://AzureADTokenExchange'
        $token.Provider | Should -Be 'SessionFederatedOAuth2'
        (Get-TokenAuthOption).ClientAssertion | Should -BeNullOrEmpty
    }

    It 'takes the assertion from the first source that applies: the call''s, the session''s, the certificate; the definition''s never on its say' {
        # Each source presents another pipeline's token, so the emulator's counters tell which one a token request used:
        # the definition names GitHub Actions, the session Azure Pipelines, the call a variable holding a token fetched beforehand.
        $null = Register-FederatedVariant 'OrderFederatedOAuth2' -Source 'GitHubActions:api://AzureADTokenExchange'
        $null = Register-JwtVariant 'OrderJwtOAuth2' -Certificate @{ certificateFile = 'client.pem'; keyFile = 'client.key' }
        $fetch = { (Invoke-RestMethod "$($Base)github-actions/idtoken?audience=api://AzureADTokenExchange" -Headers @{ Authorization = "Bearer $($GitHubVariables.ACTIONS_ID_TOKEN_REQUEST_TOKEN)" }).value }
        $variables = $GitHubVariables + $AzureDevOpsVariables + @{ TOKENAUTH_CALL_ASSERTION = (& $fetch); TOKENAUTH_JWT_CALL_ASSERTION = (& $fetch) }
        $federated = @{ Provider = 'OrderFederatedOAuth2'; BaseUri = $Base; ClientId = 'demo-federated-client'; Force = $true }
        $counters = { 'github-actions/idtoken', 'azure-devops/oidctoken', 'oauth2/assertion-accepted' | ForEach-Object { [int] (Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key $_) } }
        Reset-TokenAuthEmulator $Emulator

        $seen = Use-TokenAuthEnvironment $variables {
            Set-TokenAuthOption -ClientAssertion AzureDevOps:$ServiceConnection -ClientAssertionProvider OrderFederatedOAuth2
            try {
                $byCall = Get-ProviderToken @federated -ClientAssertion Env:TOKENAUTH_CALL_ASSERTION
                $afterCall = & $counters
                $bySession = Get-ProviderToken @federated
                $afterSession = & $counters
            }
            finally {
                Set-TokenAuthOption -ClientAssertion '' -ClientAssertionProvider OrderFederatedOAuth2
            }
            Get-ProviderToken @federated -ErrorVariable unnamed -ErrorAction SilentlyContinue
            $afterNone = & $counters
            # PrivateKeyJwt: demo-jwt-client signs with its certificate; the federated client has none, so only the call's source can get it a token.
            $bySignature = Get-ProviderToken OrderJwtOAuth2 -BaseUri $Base -ClientId demo-jwt-client -Force
            $byCallOverSignature = Get-ProviderToken OrderJwtOAuth2 -BaseUri $Base -ClientId demo-federated-client -ClientAssertion Env:TOKENAUTH_JWT_CALL_ASSERTION -Force
            @{ ByCall = $byCall; AfterCall = $afterCall; BySession = $bySession; AfterSession = $afterSession; Unnamed = $unnamed; AfterNone = $afterNone
                BySignature = $bySignature; ByCallOverSignature = $byCallOverSignature; AfterAll = & $counters }
        }

        # (1) The call's source, though the session and the definition name others: neither pipeline was asked.
        $seen.ByCall.ClientAssertion | Should -Be 'Env:TOKENAUTH_CALL_ASSERTION'
        $seen.AfterCall | Should -Be 0, 0, 1
        # (2) Without one on the call, the session's: Azure Pipelines was asked, GitHub Actions (the definition's) not.
        $seen.BySession.ClientAssertion | Should -Be "AzureDevOps:$ServiceConnection"
        $seen.AfterSession | Should -Be 0, 1, 2
        # Neither: the definition's source is only named, never asked, and nothing is sent.
        $seen.Unnamed[0].FullyQualifiedErrorId | Should -Be 'InvalidCredential,TokenAuth.Commands.GetProviderTokenCommand'
        "$($seen.Unnamed[0])" | Should -Match 'Its definition names GitHubActions:api://AzureADTokenExchange, which is read only when you name it yourself'
        $seen.AfterNone | Should -Be 0, 1, 2
        # (3) A PrivateKeyJwt provider signs with its certificate, unless the call names a source, which comes first.
        $seen.BySignature.ClientAssertion | Should -BeNullOrEmpty
        $seen.ByCallOverSignature.ClientAssertion | Should -Be 'Env:TOKENAUTH_JWT_CALL_ASSERTION'
        $seen.AfterAll | Should -Be 0, 1, 4
    }

    It 'refuses -ClientAssertion for a provider that takes a secret, an assertion given as a string, and a source from a piped object''s provider' {
        $null = Register-FederatedVariant 'PipedFederatedOAuth2'
        $null = Register-TokenAuthExampleVariant -Example oauth2-client-credentials.json -Name 'SecretNotAssertionOAuth2' -Folder $Certificates.Folder
        $credential = [pscredential]::new('demo-client', (ConvertTo-SecureString 'demo-secret' -AsPlainText -Force))

        Get-ProviderToken SecretNotAssertionOAuth2 -BaseUri $Base -Credential $credential -ClientAssertion Env:ANYTHING -ErrorVariable secretProvider -ErrorAction SilentlyContinue
        { Get-ProviderToken PipedFederatedOAuth2 -ClientId demo-federated-client -ClientAssertion 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlcw' } |
            Should -Throw -ExpectedMessage '*That is an assertion itself, not where to get one*'
        [pscustomobject]@{ Provider = 'PipedFederatedOAuth2' } |
            Get-ProviderToken -BaseUri $Base -ClientId demo-federated-client -ClientAssertion Env:ANYTHING -ErrorVariable piped -ErrorAction SilentlyContinue

        $secretProvider[0].FullyQualifiedErrorId | Should -BeLike 'InvalidRequest,*'
        "$($secretProvider[0])" | Should -Match 'SecretNotAssertionOAuth2 authenticates with Basic, not a client assertion'
        $piped[0].FullyQualifiedErrorId | Should -BeLike 'UnsafeRequest,*'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -BeNullOrEmpty
    }

    It 'completes -ClientAssertion with the sources and Env: with the variables' {
        $env:TOKENAUTH_COMPLETION_PROBE = 'x'
        try {
            $line = 'Get-ProviderToken X -ClientAssertion '
            $sources = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
            $line = 'Get-ProviderToken X -ClientAssertion Env:TOKENAUTH_COMP'
            $variables = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        }
        finally { Remove-Item Env:TOKENAUTH_COMPLETION_PROBE }

        $sources | Should -Be 'GitHubActions', 'AzureDevOps:', 'ManagedIdentity', 'Env:', 'File'
        $variables | Should -Be 'Env:TOKENAUTH_COMPLETION_PROBE'
    }

    It 'runs <Example>''s sync step against the emulator: every page, the OIDC tokens masked and printed nowhere else' -ForEach @(
        @{ Example = 'github-actions-federated.yml'; Variable = 'GITHUB_ACTIONS'; Mask = '::add-mask::'; Pattern = '(?m)^\s+run: (\./examples/Invoke-NightlySync\.ps1 .+)$' }
        @{ Example = 'azure-pipelines-federated.yml'; Variable = 'TF_BUILD'; Mask = '##vso[task.setsecret]'; Pattern = '(?m)^\s+arguments: (.+)$' }
    ) {
        $root = Split-Path (Split-Path $PSScriptRoot)
        $yaml = Get-Content (Join-Path $root "examples/$Example") -Raw
        $step = [regex]::Match($yaml, $Pattern).Groups[1].Value
        $output = Join-Path $TestDrive "$Variable.jsonl"
        # The pipeline's own values, as the agent would substitute them, and the emulator instead of the API.
        $command = $step -replace '^(?!\./examples)', './examples/Invoke-NightlySync.ps1 ' -replace '\$env:CLIENT_ID|\$\(clientId\)', 'demo-federated-client' `
            -replace '\$\(serviceConnectionId\)', $ServiceConnection -replace '-Uri v1/things', "-Uri 'oauth2/resources/pages/link?pages=2&size=3' -BaseUri '$Base'" `
            -replace '-OutputPath \S+', "-OutputPath '$output'"
        $variables = $GitHubVariables + $AzureDevOpsVariables
        $variables[$Variable] = 'true'
        $before = Get-IssuedOidcToken

        $lines = Invoke-TokenAuthFreshPwsh "Set-Location '$root'; $command; exit `$LASTEXITCODE" -Environment $variables
        $issued = @(Get-IssuedOidcToken | Where-Object { $_ -notin $before })

        $yaml | Should -Match $(if ($Variable -eq 'GITHUB_ACTIONS') { '(?m)^permissions:\s+id-token: write' } else { 'SYSTEM_ACCESSTOKEN: \$\(System.AccessToken\)' })
        $LASTEXITCODE | Should -Be 0 -Because ($lines -join "`n")
        (Get-Content $output | ConvertFrom-Json).id | Should -Be (1..6)
        $issued.Count | Should -Be 1
        $lines | Should -Contain "$Mask$($issued[0])"
        @($lines | Where-Object { $_.Contains($issued[0]) }).Count | Should -Be 1
    }

    It 'asks a token service on another host (Entra ID''s, for Microsoft Graph) and sends the token to the API''s origin alone' {
        $port = ([uri] $Base).Port
        $null = Register-TokenAuthExampleVariant -Example entra-id-graph.json -Name 'GraphLikeFederated' -Folder $Certificates.Folder -Edit {
            param ($definition)
            # The emulator as both hosts: the token service at 127.0.0.1, the API at localhost, another origin.
            $definition.token.path = "$($Base)oauth2/token"
            $definition.token.defaultScope = 'graph/.default'
            $definition.environments = @{ Global = "http://localhost:$port/oauth2" }
        }

        $text = Use-TokenAuthEnvironment $GitHubVariables {
            Get-TokenAuthAllStream {
                Invoke-AuthenticatedRequest GraphLikeFederated -ClientId demo-federated-client -ClientAssertion GitHubActions:api://AzureADTokenExchange -Uri resources/sample -Verbose
            }
        }
        { Invoke-AuthenticatedRequest GraphLikeFederated -ClientId demo-federated-client -ClientAssertion Env:ANYTHING -Uri "$($Base)oauth2/resources/sample" -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnsafeRequest,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'

        $text | Should -Match "requesting a token at $([regex]::Escape($Base))oauth2/token for demo-federated-client"
        $text | Should -Match "GET http://localhost:$port/oauth2/resources/sample: HTTP 200"
        $text | Should -Match 'demo-federated-client'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/assertion-accepted' | Should -Be 1
    }

    It 'refuses a definition whose token service address is not https' {
        $path = Join-Path $TestDrive 'plain-token-service.json'
        $definition = Get-Content (Join-Path (Split-Path (Split-Path $PSScriptRoot)) 'examples/entra-id-graph.json') -Raw | ConvertFrom-Json -AsHashtable
        $definition.name = 'PlainTokenService'
        $definition.token.path = 'http://login.example.com/tenant/oauth2/v2.0/token'
        $definition | ConvertTo-Json -Depth 10 | Set-Content $path

        { Register-TokenAuthProvider $path -ErrorAction Stop } | Should -Throw -ExpectedMessage '*$.token.path: is an address, and must be an https one (http only to this machine''s loopback)*'
    }
}
