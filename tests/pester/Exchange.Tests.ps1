# Where the platform is the identity (issue 32, points 2, 4 and 5) through the cmdlets, against the emulator:
# grants that carry a token from an assertion source (RFC 8693 token exchange, RFC 7523 2.1's JWT-bearer grant,
# Vault's JWT login), credentials from TOKENAUTH_<PROVIDER>_<FIELD> variables without a vault, and the API's
# WWW-Authenticate challenges (RFC 6750, RFC 9470, Entra ID's claims challenge).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'Test values: the emulator''s demo credential.')]
param ()

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json')
    $script:Emulator = $Session.Emulator
    $script:Base = $Emulator.Root
    $script:Folder = Join-Path $TestDrive 'definitions'
    $null = New-Item -ItemType Directory $Folder
    $script:GitHubVariables = @{
        ACTIONS_ID_TOKEN_REQUEST_URL   = "$($Base)github-actions/idtoken?api-version=2.0"
        ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'emulator-actions-id-token-request-token'
    }
    $script:OAuth2Secret = 'demo-oauth2-secret-4k7p'
    $script:OAuth2Credential = [pscredential]::new('demo-oauth2-client', (ConvertTo-SecureString $OAuth2Secret -AsPlainText -Force))

    # The Keycloak example pointed at the emulator's exchange endpoint; -Edit changes it further.
    function Register-ExchangeVariant([string] $Name, [scriptblock] $Edit) {
        Register-TokenAuthExampleVariant -Example keycloak-token-exchange.json -Name $Name -Folder $Folder -Edit {
            param ($definition)
            $definition.environments = @{ Live = $Base.TrimEnd('/') }
            $definition.token.path = '/oauth2/exchange'
            $definition.token.Remove('subject')
            $definition.token.subject = @{}
            if ($Edit) { & $Edit $definition }
        }
    }

    # A projected service-account token from the emulated cluster, written where a pod would find it.
    function Get-ProjectedToken([string] $Path) {
        $token = (Invoke-RestMethod "$($Base)kubernetes/token?audience=tokenauth-exchange").token
        Set-Content -Path $Path -Value $token -NoNewline
        $token
    }

    function Get-Evidence { Invoke-RestMethod "$($Base)_emulator/evidence" }
    function Get-Counter([string] $Key) { [int] (Get-TokenAuthEmulatorCounter $Emulator $Key) }

    # Every token the emulator issued or minted: none may show up in any stream.
    function Get-EverySecret { $evidence = Get-Evidence; @($evidence.issuedSecrets) + @($evidence.oidcTokens) + $OAuth2Secret }

    function Add-Challenge([int] $Status = 401, [string] $Header, [int] $Times = 1, [switch] $UnlessClaims) {
        $body = @{ status = $Status; header = $Header; times = $Times; unlessClaims = [bool] $UnlessClaims } | ConvertTo-Json
        $null = Invoke-RestMethod -Method Post "$($Base)_emulator/challenges" -Body $body -ContentType 'application/json'
    }

    $null = Register-ExchangeVariant 'ExchangeKeycloak'
    $null = Register-ExchangeVariant 'ExchangeWithActor' {
        param ($definition)
        $definition.token.fields.actor_token = '{ActorToken}'
        $definition.token.fields.actor_token_type = 'urn:ietf:params:oauth:token-type:jwt'
        $definition.token.actor = @{}
    }
    $null = Register-ExchangeVariant 'JwtBearerGrant' {
        param ($definition)
        $definition.credential.fields = @('ClientId')
        $definition.token.fields = [ordered]@{ grant_type = 'urn:ietf:params:oauth:grant-type:jwt-bearer'; assertion = '{SubjectToken}'; client_id = '{ClientId}' }
    }
    $null = Register-TokenAuthExampleVariant -Example vault-jwt-login.json -Name 'VaultJwt' -Folder $Folder -Edit {
        param ($definition)
        $definition.environments = @{ Live = "$($Base)vault" }
    }
    $null = Register-TokenAuthExampleVariant -Example oauth2-client-credentials.json -Name 'ChallengedOAuth2' -Folder $Folder -Edit {
        param ($definition)
        $definition.environments = @{ Live = $Base.TrimEnd('/') }
    }
}

AfterAll {
    Exit-TokenAuthTestSession -Session $Session
}

Describe 'Token exchange (RFC 8693), the JWT-bearer grant (RFC 7523 2.1) and Vault''s JWT login' {
    BeforeEach { Reset-TokenAuthEmulator $Emulator }

    It 'exchanges a Kubernetes projected token read from a file, reading the file again for each token request' {
        $file = Join-Path $TestDrive 'projected-token'
        $first = Get-ProjectedToken $file
        $all = Get-TokenAuthAllStream {
            $token = Get-ProviderToken ExchangeKeycloak -Credential $OAuth2Credential -ClientAssertion "File:$file" -Verbose -Debug
            Invoke-AuthenticatedRequest ExchangeKeycloak oauth2/resources/sample -Credential $OAuth2Credential -ClientAssertion "File:$file" -Verbose -Debug
            # The kubelet rotates the token; the next token request reads the new one.
            $script:second = Get-ProjectedToken $file
            $null = Get-ProviderToken ExchangeKeycloak -Credential $OAuth2Credential -ClientAssertion "File:$file" -Force -Verbose
            "expires $($token.ExpiresOn)"
        }

        Get-Counter 'oauth2/exchange-accepted' | Should -Be 2
        Get-Counter 'oauth2/exchange-refused' | Should -Be 0
        Get-Counter 'oauth2/sample' | Should -Be 1
        Get-Counter "kubernetes/subject-$((($first -split '\.')[1] | ForEach-Object { [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($_.Replace('-', '+').Replace('_', '/').PadRight([Math]::Ceiling($_.Length / 4) * 4, '='))) } | ConvertFrom-Json).jti)" | Should -Be 1
        Get-Counter "kubernetes/subject-$((($second -split '\.')[1] | ForEach-Object { [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($_.Replace('-', '+').Replace('_', '/').PadRight([Math]::Ceiling($_.Length / 4) * 4, '='))) } | ConvertFrom-Json).jti)" | Should -Be 1
        foreach ($secret in Get-EverySecret) { $all | Should -Not -BeLike "*$secret*" }
    }

    It 'exchanges the GitHub Actions job''s OIDC token, a fresh one for each token request (the server refuses a reused one)' {
        $all = Use-TokenAuthEnvironment $GitHubVariables {
            Get-TokenAuthAllStream {
                $null = Get-ProviderToken ExchangeKeycloak -Credential $OAuth2Credential -ClientAssertion GitHubActions:tokenauth-exchange -Verbose -Debug
                $null = Get-ProviderToken ExchangeKeycloak -Credential $OAuth2Credential -ClientAssertion GitHubActions:tokenauth-exchange -Force -Verbose -Debug
            }
        }

        Get-Counter 'github-actions/idtoken' | Should -Be 2
        Get-Counter 'oauth2/exchange-accepted' | Should -Be 2
        Get-Counter 'oauth2/exchange-refused' | Should -Be 0
        foreach ($secret in Get-EverySecret) { $all | Should -Not -BeLike "*$secret*" }
    }

    It 'takes the subject token from the session''s source for the provider, named on the command line' {
        $file = Join-Path $TestDrive 'session-token'
        $null = Get-ProjectedToken $file
        Set-TokenAuthOption -ClientAssertion "File:$file" -ClientAssertionProvider ExchangeKeycloak
        try {
            $null = Get-ProviderToken ExchangeKeycloak -Credential $OAuth2Credential -Force
        }
        finally {
            Set-TokenAuthOption -ClientAssertion '' -ClientAssertionProvider ExchangeKeycloak
        }

        Get-Counter 'oauth2/exchange-accepted' | Should -Be 1
    }

    It 'sends an actor token from its own source (-ActorAssertion) with its type' {
        $file = Join-Path $TestDrive 'actor-token'
        $null = Get-ProjectedToken $file
        $all = Use-TokenAuthEnvironment $GitHubVariables {
            Get-TokenAuthAllStream {
                $null = Get-ProviderToken ExchangeWithActor -Credential $OAuth2Credential -ClientAssertion GitHubActions:tokenauth-exchange -ActorAssertion "File:$file" -Verbose
            }
        }

        Get-Counter 'oauth2/exchange-accepted-with-actor' | Should -Be 1
        foreach ($secret in Get-EverySecret) { $all | Should -Not -BeLike "*$secret*" }
    }

    It 'names the missing actor token, and refuses -ActorAssertion for a grant without one' {
        $file = Join-Path $TestDrive 'actor-token-2'
        $null = Get-ProjectedToken $file
        $null = Get-ProviderToken ExchangeWithActor -Credential $OAuth2Credential -ClientAssertion "File:$file" -ErrorVariable missing -ErrorAction SilentlyContinue
        $null = Get-ProviderToken ExchangeKeycloak -Credential $OAuth2Credential -ClientAssertion "File:$file" -ActorAssertion "File:$file" -ErrorVariable unwanted -ErrorAction SilentlyContinue

        $missing[0].FullyQualifiedErrorId | Should -BeLike 'InvalidCredential,*'
        "$($missing[0])" | Should -BeLike '*actor token*-ActorAssertion*'
        $unwanted[0].FullyQualifiedErrorId | Should -BeLike 'InvalidRequest,*'
        Get-Counter 'oauth2/exchange' | Should -Be 0
    }

    It 'sends the GitHub Actions token as the assertion of the JWT-bearer grant' {
        $all = Use-TokenAuthEnvironment $GitHubVariables {
            Get-TokenAuthAllStream {
                $null = Get-ProviderToken JwtBearerGrant -ClientId demo-exchange-client -ClientAssertion GitHubActions:tokenauth-exchange -Verbose -Debug
                $null = Get-ProviderToken JwtBearerGrant -ClientId demo-exchange-client -ClientAssertion GitHubActions:tokenauth-exchange -Force
            }
        }

        Get-Counter 'oauth2/jwt-bearer-accepted' | Should -Be 2
        Get-Counter 'github-actions/idtoken' | Should -Be 2
        foreach ($secret in Get-EverySecret) { $all | Should -Not -BeLike "*$secret*" }
    }

    It 'logs in to Vault with the GitHub Actions token (role and jwt), keeps the lease''s lifetime, and reads a secret with the Vault token' {
        $all = Use-TokenAuthEnvironment $GitHubVariables {
            Get-TokenAuthAllStream {
                $script:vaultToken = Get-ProviderToken VaultJwt -ClientId tokenauth-ci -ClientAssertion GitHubActions:vault -Verbose -Debug
                $script:read = Invoke-AuthenticatedRequest VaultJwt v1/secret/data/deploy -ClientId tokenauth-ci -ClientAssertion GitHubActions:vault -Verbose -Debug
            }
        }

        Get-Counter 'vault/login-accepted' | Should -Be 1
        # The Vault token went in X-Vault-Token, as the definition's authorization.header says, not as a Bearer token.
        Get-Counter 'vault/secret-by-x-vault-token' | Should -Be 1
        Get-Counter 'vault/secret-by-bearer' | Should -Be 0
        $read.data.data.name | Should -Be 'deploy'
        $read.data.data.role | Should -Be 'tokenauth-ci'
        ([DateTimeOffset] $vaultToken.ExpiresOn - [DateTimeOffset]::UtcNow).TotalMinutes | Should -BeGreaterThan 55
        foreach ($secret in Get-EverySecret) { $all | Should -Not -BeLike "*$secret*" }
    }

    It 'leaves the X-Vault-Token behind on a redirect to another origin, and keeps it on the provider''s own' {
        $other = $Base -replace '127\.0\.0\.1', 'localhost'
        $away = Use-TokenAuthEnvironment $GitHubVariables {
            Invoke-AuthenticatedRequest VaultJwt "v1/redirect?to=$([uri]::EscapeDataString("$($other)oauth2/resources/open"))" -ClientId tokenauth-ci -ClientAssertion GitHubActions:vault
        }
        $home_ = Use-TokenAuthEnvironment $GitHubVariables {
            Invoke-AuthenticatedRequest VaultJwt "v1/redirect?to=$([uri]::EscapeDataString("$($Base)vault/v1/secret/data/kept"))" -ClientId tokenauth-ci -ClientAssertion GitHubActions:vault
        }

        $away.open | Should -BeTrue
        $away.headers | Should -Not -Contain 'X-Vault-Token'
        $home_.data.data.name | Should -Be 'kept'
        Get-Counter 'vault/secret-by-x-vault-token' | Should -Be 1
    }

    It 'quotes Vault''s refusal of an unknown role, never the token' {
        $all = Use-TokenAuthEnvironment $GitHubVariables {
            Get-TokenAuthAllStream {
                $null = Get-ProviderToken VaultJwt -ClientId no-such-role -ClientAssertion GitHubActions:vault -ErrorVariable script:refused -ErrorAction SilentlyContinue
            }
        }

        $refused[0].FullyQualifiedErrorId | Should -BeLike 'ProviderRejectedToken,*'
        "$($refused[0])" | Should -BeLike '*role "no-such-role" could not be found*'
        foreach ($secret in Get-EverySecret) { $all | Should -Not -BeLike "*$secret*" }
    }

    It 'never reads the source a definition names on its own say' {
        $warning = Register-ExchangeVariant 'HostileExchange' { param ($definition) $definition.token.subject = @{ source = 'GitHubActions:https://attacker.example' } } 3>&1 | Where-Object { $_ -is [System.Management.Automation.WarningRecord] }
        "$warning" | Should -BeLike '*names the client assertion source GitHubActions:https://attacker.example*reads it only when you name that source yourself*'
        Get-TokenAuthProvider HostileExchange | Select-Object -ExpandProperty AmbientIdentity | Should -BeLike '*GitHubActions:https://attacker.example*'

        $null = Use-TokenAuthEnvironment $GitHubVariables {
            Get-ProviderToken HostileExchange -Credential $OAuth2Credential -ErrorVariable script:refused -ErrorAction SilentlyContinue
        }

        $refused[0].FullyQualifiedErrorId | Should -BeLike 'InvalidCredential,*'
        "$($refused[0])" | Should -BeLike '*subject token has no source*read only when you name it yourself*'
        Get-Counter 'github-actions/idtoken' | Should -Be 0
        Get-Counter 'oauth2/exchange' | Should -Be 0
    }

    It 'refuses a definition whose grant token is misplaced, naming the field: <Case>' -ForEach @(
        @{ Case = 'placeholder without token.subject'; Edit = { param ($d) $d.token.Remove('subject') }; Path = '$.token.fields.subject_token' }
        @{ Case = 'glued to other text'; Edit = { param ($d) $d.token.fields.subject_token = 'x{SubjectToken}' }; Path = '$.token.fields.subject_token' }
        @{ Case = 'in a header'; Edit = { param ($d) $d.token.headers = @{ 'X-Subject' = '{SubjectToken}' } }; Path = '$.token.headers.X-Subject' }
        @{ Case = 'with a federated client'; Edit = { param ($d) $d.token.clientAuthentication = 'FederatedAssertion'; $d.credential.fields = @('ClientId') ; $d.token.fields.Remove('client_secret') }; Path = '$.token.subject' }
        @{ Case = 'an actor without its field'; Edit = { param ($d) $d.token.actor = @{} }; Path = '$.token.actor' }
        @{ Case = 'a token header that does not read as a credential''s'; Edit = { param ($d) $d.authorization = @{ header = 'X-Trace' } }; Path = '$.authorization.header' }
        @{ Case = 'a source that is no source'; Edit = { param ($d) $d.token.subject = @{ source = 'Nowhere:x' } }; Path = '$.token.subject.source' }
    ) {
        $definition = Get-Content (Join-Path $PSScriptRoot '../../examples/keycloak-token-exchange.json') -Raw | ConvertFrom-Json -AsHashtable
        $definition.name = 'MisplacedGrant'
        & $Edit $definition
        $path = Join-Path $Folder 'misplaced.json'
        $definition | ConvertTo-Json -Depth 10 | Set-Content $path

        $null = Register-TokenAuthProvider $path -ErrorVariable refused -ErrorAction SilentlyContinue

        $refused[0].FullyQualifiedErrorId | Should -BeLike 'InvalidProviderConfiguration,*'
        "$($refused[0])" | Should -BeLike "*$Path*"
    }
}

Describe 'Credentials from environment variables (-EnvironmentVariable)' {
    BeforeEach { Reset-TokenAuthEmulator $Emulator }

    It 'reads the TOKENAUTH_ variables, masks the secret and an exchanged subject token in Azure Pipelines'' and GitHub Actions'' logs, and never loads SecretManagement' {
        $definition = Join-Path $Folder 'EnvOAuth2.json'
        $json = Get-Content (Join-Path $PSScriptRoot '../../examples/oauth2-client-credentials.json') -Raw | ConvertFrom-Json -AsHashtable
        $json.name = 'Env-OAuth2'
        $json.environments = @{ Live = $Base.TrimEnd('/') }
        $json | ConvertTo-Json -Depth 10 | Set-Content $definition
        # The same process exchanges a projected token (client id and secret from the variables too): a subject token is masked as a secret is.
        $projected = Join-Path $TestDrive 'masked-projected-token'
        $subject = Get-ProjectedToken $projected
        $script = "`$null = Register-TokenAuthProvider '$definition'; " +
            "`$item = Invoke-AuthenticatedRequest Env-OAuth2 oauth2/resources/sample -EnvironmentVariable -Verbose; " +
            "`$null = Register-TokenAuthProvider '$(Join-Path $Folder 'ExchangeKeycloak.json')'; " +
            "`$exchanged = Get-ProviderToken ExchangeKeycloak -EnvironmentVariable -ClientAssertion 'File:$projected' -Verbose; " +
            "'ITEM:' + (`$null -ne `$item); 'EXCHANGED:' + (`$null -ne `$exchanged); 'SECRETMANAGEMENT:' + [bool] (Get-Module Microsoft.PowerShell.SecretManagement)"
        # One process for both agents (each fresh process costs seconds, under three PowerShells): each writes its own command.
        $variables = @{ TOKENAUTH_ENV_OAUTH2_CLIENTID = 'demo-oauth2-client'; TOKENAUTH_ENV_OAUTH2_CLIENTSECRET = $OAuth2Secret
            TOKENAUTH_EXCHANGEKEYCLOAK_CLIENTID = 'demo-oauth2-client'; TOKENAUTH_EXCHANGEKEYCLOAK_CLIENTSECRET = $OAuth2Secret; TF_BUILD = 'True'; GITHUB_ACTIONS = 'true' }

        $output = Invoke-TokenAuthFreshPwsh $script -Environment $variables

        $output | Should -Contain 'ITEM:True'
        $output | Should -Contain 'EXCHANGED:True'
        $output | Should -Contain 'SECRETMANAGEMENT:False'
        # Once each, though the secret was read twice (two providers' variables hold it): an agent masks it for the whole job once told.
        foreach ($secret in $OAuth2Secret, $subject) {
            @($output | Where-Object { $_ -eq "##vso[task.setsecret]$secret" }).Count | Should -Be 1
            @($output | Where-Object { $_ -eq "::add-mask::$secret" }).Count | Should -Be 1
            # The mask commands are the only lines that hold it.
            @($output | Where-Object { $_.Contains($secret) -and -not ($_.StartsWith('##vso[task.setsecret]') -or $_.StartsWith('::add-mask::')) }).Count | Should -Be 0
        }
        # The client id is no secret and is not masked.
        @($output | Where-Object { $_.Contains('demo-oauth2-client') -and $_.StartsWith('::add-mask::') }).Count | Should -Be 0
        Get-Counter 'oauth2/token' | Should -Be 1
        Get-Counter 'oauth2/exchange-accepted' | Should -Be 1
    }

    It 'names the variable that is missing, and sends nothing' {
        $null = Use-TokenAuthEnvironment @{ TOKENAUTH_CHALLENGEDOAUTH2_CLIENTID = 'demo-oauth2-client'; TOKENAUTH_CHALLENGEDOAUTH2_CLIENTSECRET = $null; TOKENAUTH_ENV_OAUTH2_CLIENTSECRET = $OAuth2Secret } {
            Get-ProviderToken ChallengedOAuth2 -EnvironmentVariable -ErrorVariable script:missing -ErrorAction SilentlyContinue
        }

        $missing[0].FullyQualifiedErrorId | Should -BeLike 'InvalidCredential,*'
        "$($missing[0])" | Should -BeLike '*TOKENAUTH_CHALLENGEDOAUTH2_CLIENTSECRET is not set*'
        "$($missing[0])" | Should -Not -BeLike "*$OAuth2Secret*"
        Get-Counter 'oauth2/token' | Should -Be 0
    }

    It 'refuses two providers whose names map to the same variables, and -EnvironmentVariable with another credential' {
        foreach ($name in 'Twin-Name', 'Twin_Name') {
            $null = Register-TokenAuthExampleVariant -Example oauth2-client-credentials.json -Name $name -Folder $Folder -Edit { param ($d) $d.environments = @{ Live = $Base.TrimEnd('/') } }
        }

        $null = Use-TokenAuthEnvironment @{ TOKENAUTH_TWIN_NAME_CLIENTID = 'demo-oauth2-client'; TOKENAUTH_TWIN_NAME_CLIENTSECRET = $OAuth2Secret } {
            Get-ProviderToken Twin-Name -EnvironmentVariable -ErrorVariable script:twins -ErrorAction SilentlyContinue
        }
        $null = Get-ProviderToken ChallengedOAuth2 -EnvironmentVariable -Credential $OAuth2Credential -ErrorVariable both -ErrorAction SilentlyContinue

        $twins[0].FullyQualifiedErrorId | Should -BeLike 'InvalidRequest,*'
        "$($twins[0])" | Should -BeLike '*Twin-Name and Twin_Name would read the same variables (TOKENAUTH_TWIN_NAME_...)*'
        $both[0].FullyQualifiedErrorId | Should -BeLike 'InvalidRequest,*'
        Get-Counter 'oauth2/token' | Should -Be 0
    }
}

Describe 'Challenges from the API (WWW-Authenticate)' {
    BeforeEach {
        Reset-TokenAuthEmulator $Emulator
        $null = Invoke-RestMethod -Method Delete "$($Base)_emulator/challenges"
        $null = Get-ProviderToken ChallengedOAuth2 -Credential $OAuth2Credential -Force
    }

    It 'renews the token once on invalid_token and sends the request again' {
        Add-Challenge -Header 'Bearer realm="api", error="invalid_token", error_description="The access token expired"'

        $item = Invoke-AuthenticatedRequest ChallengedOAuth2 oauth2/resources/challenged -Credential $OAuth2Credential

        $item.id | Should -Be 'challenged'
        Get-Counter 'oauth2/challenged' | Should -Be 2
        Get-Counter 'oauth2/token' | Should -Be 2
    }

    It 'retries no second time when the renewed token is refused too' {
        Add-Challenge -Header 'Bearer error="invalid_token"' -Times 2

        $null = Invoke-AuthenticatedRequest ChallengedOAuth2 oauth2/resources/challenged -Credential $OAuth2Credential -ErrorVariable refused -ErrorAction SilentlyContinue

        $refused[0].FullyQualifiedErrorId | Should -BeLike 'RequestFailed,*'
        $refused[0].Exception.StatusCode | Should -Be 401
        Get-Counter 'oauth2/challenged' | Should -Be 2
        Get-Counter 'oauth2/token' | Should -Be 2
    }

    It 'raises InsufficientScope with the scope asked for, commas in quotes and several challenges read, and does not retry' {
        Add-Challenge -Status 403 -Header 'Basic realm="legacy, old", Bearer realm="api", error="insufficient_scope", scope="items:write, items:admin", error_description="The \"items\" scope is needed"'

        $null = Invoke-AuthenticatedRequest ChallengedOAuth2 oauth2/resources/challenged -Credential $OAuth2Credential -ErrorVariable refused -ErrorAction SilentlyContinue

        $refused[0].FullyQualifiedErrorId | Should -BeLike 'InsufficientScope,*'
        $refused[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $refused[0].Exception.Scope | Should -Be 'items:write, items:admin'
        $refused[0].Exception.Message | Should -BeLike '*The "items" scope is needed*''items:write, items:admin''*-Scope*'
        Get-Counter 'oauth2/challenged' | Should -Be 1
        # The one token request is BeforeEach's: none more.
        Get-Counter 'oauth2/token' | Should -Be 1
    }

    It 'raises InsufficientUserAuthentication (step-up) with acr_values and max_age, and does not retry' {
        Add-Challenge -Header 'Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:mace:incommon:iap:silver phr", max_age=300'

        $null = Invoke-AuthenticatedRequest ChallengedOAuth2 oauth2/resources/challenged -Credential $OAuth2Credential -ErrorVariable refused -ErrorAction SilentlyContinue

        $refused[0].FullyQualifiedErrorId | Should -BeLike 'InsufficientUserAuthentication,*'
        $refused[0].Exception.AcrValues | Should -Be 'urn:mace:incommon:iap:silver phr'
        $refused[0].Exception.MaxAge | Should -Be 300
        Get-Counter 'oauth2/challenged' | Should -Be 1
        Get-Counter 'oauth2/token' | Should -Be 1
    }

    It 'asks for a token with the claims of an insufficient_claims challenge once, and sends the request again with it' {
        # Form delimiters inside the claims travel as their value: no grant_type or scope of their own.
        $claims = '{"access_token":{"acrs":{"essential":true,"value":"c1&grant_type=password&scope=admin"}}}'
        $encoded = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($claims))
        Add-Challenge -UnlessClaims -Header "Bearer realm=`"`", authorization_uri=`"https://login.microsoftonline.com/common/oauth2/authorize`", error=`"insufficient_claims`", claims=`"$encoded`""

        $item = Invoke-AuthenticatedRequest ChallengedOAuth2 oauth2/resources/challenged -Credential $OAuth2Credential

        $item.claims | Should -Be $claims
        Get-Counter 'oauth2/challenged' | Should -Be 2
        Get-Counter 'oauth2/token' | Should -Be 2
    }

    It 'sends no second claims request when the API challenges again' {
        $encoded = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('{"access_token":{"acrs":{"essential":true,"value":"c2"}}}'))
        Add-Challenge -Times 3 -Header "Bearer error=`"insufficient_claims`", claims=`"$encoded`""

        $null = Invoke-AuthenticatedRequest ChallengedOAuth2 oauth2/resources/challenged -Credential $OAuth2Credential -ErrorVariable refused -ErrorAction SilentlyContinue

        $refused[0].Exception.StatusCode | Should -Be 401
        Get-Counter 'oauth2/challenged' | Should -Be 2
        Get-Counter 'oauth2/token' | Should -Be 2
    }

    It 'ignores claims that are not a JSON object: the token request cannot be steered' {
        $encoded = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('x&grant_type=password&scope=admin'))
        Add-Challenge -Header "Bearer error=`"insufficient_claims`", claims=`"$encoded`""

        $item = Invoke-AuthenticatedRequest ChallengedOAuth2 oauth2/resources/challenged -Credential $OAuth2Credential

        # A 401 like any other: the one renewal, and no claims in the token request.
        $item.id | Should -Be 'challenged'
        $item.claims | Should -BeNullOrEmpty
        Get-Counter 'oauth2/token' | Should -Be 2
        Get-Counter 'oauth2/challenged' | Should -Be 2
    }

    It 'shows a hostile challenge''s values bounded and without the token' {
        $token = Get-ProviderToken ChallengedOAuth2 -Credential $OAuth2Credential -AsPlainText
        $long = 'x' * 5000
        Add-Challenge -Status 403 -Header "Bearer error=`"insufficient_scope`", scope=`"$token`", error_description=`"$long`""

        $all = Get-TokenAuthAllStream {
            Invoke-AuthenticatedRequest ChallengedOAuth2 oauth2/resources/challenged -Credential $OAuth2Credential -Verbose -Debug -ErrorAction Continue
        }

        $all | Should -BeLike '*insufficient_scope*'
        $all | Should -Not -BeLike "*$token*"
        $all | Should -Not -BeLike "*$('x' * 600)*"
    }
}
