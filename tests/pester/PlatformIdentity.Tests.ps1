# Where the platform is the identity: tokens from the machine's managed identity (App Service, Azure Arc with its
# key-file challenge, the instance metadata service) through the cmdlets, the same identity as a federated client
# assertion, and per-call token parameters (-TenantId, -Resource, -Audience, -TokenParameter). Every managed identity
# endpoint is the emulator's, on loopback, named by the platform's own variables: a guard below refuses to run a test
# whose variables would resolve anywhere else, so no test can reach 169.254.169.254 or any other host.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'The emulator publishes its demo credentials; they protect nothing.')]
param ()

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:ArcFolder = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'arc-tokens') | Select-Object -ExpandProperty FullName
    $script:OtherFolder = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'elsewhere') | Select-Object -ExpandProperty FullName
    $script:SystemObjectId = '5e6f7a8b-1111-4c2d-9e0f-00000000a001'
    $script:UserClientId = '0d1c2b3a-2222-4e5f-8a9b-00000000c002'
    $script:UserObjectId = '0d1c2b3a-2222-4e5f-8a9b-00000000a002'
    $script:UserResourceId = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/tokenauth/providers/Microsoft.ManagedIdentity/userAssignedIdentities/emulator-uami'
    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json') -EmulatorArgumentList '--arc-key-folder', $ArcFolder,
        '--federated-credential', "demo-mi-client=$SystemObjectId", '--federated-credential', "demo-mi-client=$UserObjectId"
    $script:Emulator = $Session.Emulator
    $script:Base = $Emulator.Root
    $script:IdentityHeader = 'emulator-identity-header-7c41d09e'

    # Each platform's variables, as the platform sets them, the others cleared; all point at the emulator.
    $script:Platforms = @{
        AppService = @{ IDENTITY_ENDPOINT = "$($Base)managed-identity/app-service/token"; IDENTITY_HEADER = $IdentityHeader; IMDS_ENDPOINT = $null; AZURE_POD_IDENTITY_AUTHORITY_HOST = $null }
        Arc        = @{ IDENTITY_ENDPOINT = "$($Base)managed-identity/arc/token"; IMDS_ENDPOINT = $Base.TrimEnd('/'); IDENTITY_HEADER = $null; AZURE_POD_IDENTITY_AUTHORITY_HOST = $null }
        Imds       = @{ AZURE_POD_IDENTITY_AUTHORITY_HOST = $Base.TrimEnd('/'); IDENTITY_ENDPOINT = $null; IDENTITY_HEADER = $null; IMDS_ENDPOINT = $null }
    }

    # The endpoint TokenAuth would call with these variables, found as the engine finds it, without sending anything.
    function Resolve-ManagedIdentityEndpoint([hashtable] $Variables) {
        [TokenAuth.Credentials.ManagedIdentityEndpoint]::Locate('test', [Func[string, string]] { param ($name) $Variables[$name] })
    }

    # Runs a command with one platform's variables; refuses to when they would resolve to anything but loopback.
    function Use-Platform([string] $Platform, [scriptblock] $Run) {
        $variables = $Platforms[$Platform]
        $address = (Resolve-ManagedIdentityEndpoint $variables).Address
        if (-not ([Net.IPAddress]::IsLoopback([Net.IPAddress]::Parse($address.Host)))) { throw "Refusing to run: $Platform resolves to $address, not loopback." }
        Use-TokenAuthEnvironment $variables $Run
    }

    function Get-ManagedIdentityEvidence { Invoke-RestMethod "$($Base)_emulator/managed-identity" }
    function Get-LastTokenCall([string] $Endpoint) { @((Get-ManagedIdentityEvidence).tokenCalls | Where-Object endpoint -EQ $Endpoint)[-1] }
    function Get-Claim([string] $Token) {
        $part = $Token.Split('.')[1].Replace('-', '+').Replace('_', '/')
        $part += '=' * ((4 - $part.Length % 4) % 4)
        [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($part)) | ConvertFrom-Json
    }

    # An Entra-style definition: one token path for every tenant, the client's secret in the body.
    $script:TenantDefinition = Join-Path $TestDrive 'EntraTenants.json'
    @{
        name        = 'EntraTenants'
        environments = @{ Live = $Base.TrimEnd('/') + '/oauth2' }
        credential  = @{ fields = @('ClientId', 'ClientSecret') }
        token       = @{ path = "$($Base)entra/{TenantId}/oauth2/v2.0/token"; encoding = 'Form'
            fields = @{ grant_type = 'client_credentials'; client_id = '{ClientId}'; client_secret = '{ClientSecret}'; scope = '{Scope}' } }
        tokenResponse = @{ accessToken = 'access_token'; tokenType = 'token_type'; expiry = @(@{ path = 'expires_in'; format = 'SecondsFromNow' }) }
    } | ConvertTo-Json -Depth 5 | Set-Content $TenantDefinition
    $null = Register-TokenAuthProvider $TenantDefinition
    $oauth2 = $Session.Credentials.oauth2
    $script:OAuth2Credential = [pscredential]::new($oauth2.clientId, (ConvertTo-SecureString $oauth2.clientSecret -AsPlainText -Force))

    # The federated example, renamed: a client that trusts the machine's managed identity.
    $null = Register-TokenAuthExampleVariant -Example oauth2-federated.json -Name MiFederated -Folder $TestDrive

    $script:Streams = [Collections.Generic.List[string]]::new()
}

AfterAll {
    Set-TokenAuthOption -ArcKeyFolder ''
    Exit-TokenAuthTestSession -Session $Session
}

Describe 'Which managed identity endpoint' {
    It 'would be the instance metadata service''s fixed address only when no variable names another (nothing is sent to find out)' {
        $none = Resolve-ManagedIdentityEndpoint @{}

        $none.Address | Should -Be 'http://169.254.169.254/metadata/identity/oauth2/token'
        $none.Kind | Should -Be 'InstanceMetadata'
    }

    It 'is loopback for every platform configuration this file uses' {
        foreach ($platform in $Platforms.Keys) {
            $endpoint = Resolve-ManagedIdentityEndpoint $Platforms[$platform]
            [Net.IPAddress]::IsLoopback([Net.IPAddress]::Parse($endpoint.Address.Host)) | Should -BeTrue -Because "$platform must resolve to the emulator"
        }
    }

    # 0.0.0.0 is no loopback address to the engine, but a connection to it never leaves the machine: were the check
    # broken, this test would still send nothing off it (the engine tests refuse LAN and internet hosts without sending).
    It 'is refused by name when a variable names a host that is not this machine''s own, and nothing is sent' {
        Reset-TokenAuthEmulator $Emulator
        $variables = @{ IDENTITY_ENDPOINT = 'http://0.0.0.0:9/msi/token'; IDENTITY_HEADER = $IdentityHeader; IMDS_ENDPOINT = $null; AZURE_POD_IDENTITY_AUTHORITY_HOST = $null }

        $failure = Use-TokenAuthEnvironment $variables { Get-ProviderToken AzureManagedIdentity -Resource https://graph.microsoft.com -ErrorAction SilentlyContinue -ErrorVariable e; $e }

        $failure[0].FullyQualifiedErrorId | Should -BeLike 'ManagedIdentityEndpointRefused,*'
        "$($failure[0])" | Should -Match 'IDENTITY_ENDPOINT names http://0\.0\.0\.0:9'
        "$($failure[0])" | Should -Not -Match $IdentityHeader
        { Use-TokenAuthEnvironment @{ AZURE_POD_IDENTITY_AUTHORITY_HOST = 'http://0.0.0.0:9'; IDENTITY_ENDPOINT = $null } { Get-ProviderToken AzureManagedIdentity -ErrorAction Stop } } |
            Should -Throw -ErrorId 'ManagedIdentityEndpointRefused,*'
    }
}

Describe 'AzureManagedIdentity' {
    BeforeEach { $null = Get-ProviderTokenCache | Revoke-ProviderToken -ErrorAction SilentlyContinue -WarningAction SilentlyContinue }

    It 'gets a token from the App Service endpoint (its header checked), and calls the API with it' {
        Reset-TokenAuthEmulator $Emulator

        $token, $me = Use-Platform AppService {
            Get-ProviderToken AzureManagedIdentity -BaseUri "$($Base)managed-identity/graph" -Resource https://graph.microsoft.com -AsPlainText
            Invoke-AuthenticatedRequest AzureManagedIdentity -BaseUri "$($Base)managed-identity/graph" -Resource https://graph.microsoft.com -Uri v1.0/me
        }

        (Get-Claim $token).aud | Should -Be 'https://graph.microsoft.com'
        $me.id | Should -Be $SystemObjectId
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'managed-identity/app-service' | Should -Be 1 -Because 'the request reuses the cached token'
        (Get-LastTokenCall app-service).query.'api-version' | Should -Be '2019-08-01'
    }

    It 'answers Azure Arc''s challenge with the key file in the agent''s folder' {
        Reset-TokenAuthEmulator $Emulator
        Set-TokenAuthOption -ArcKeyFolder $ArcFolder

        $token = Use-Platform Arc { Get-ProviderToken AzureManagedIdentity -Resource https://management.azure.com -AsPlainText -Verbose 4>&1 | Tee-Object -Variable verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] } }

        (Get-Claim $token).aud | Should -Be 'https://management.azure.com'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'managed-identity/arc-challenge' | Should -Be 1
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'managed-identity/arc-key-accepted' | Should -Be 1
        $Streams.Add(($verbose | Out-String))
    }

    It 'refuses by name a challenge whose key file is outside the allowed folder, and sends no key' {
        Reset-TokenAuthEmulator $Emulator
        Set-TokenAuthOption -ArcKeyFolder $OtherFolder
        try {
            $failure = Use-Platform Arc { Get-ProviderToken AzureManagedIdentity -Resource https://management.azure.com -ErrorAction SilentlyContinue -ErrorVariable e; $e }
        }
        finally { Set-TokenAuthOption -ArcKeyFolder $ArcFolder }

        $failure[0].FullyQualifiedErrorId | Should -BeLike 'ArcKeyFileRefused,*'
        "$($failure[0])" | Should -Match ([regex]::Escape($ArcFolder))
        "$($failure[0])" | Should -Match 'is not in the Azure Arc agent''s own folder'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'managed-identity/arc-challenge' | Should -Be 1
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'managed-identity/arc-key-accepted' | Should -BeNullOrEmpty
        $Streams.Add("$($failure[0]) $($failure[0].Exception)")
    }

    It 'gets a token from the instance-metadata-style endpoint, for -Scope''s resource' {
        Reset-TokenAuthEmulator $Emulator

        $token = Use-Platform Imds { Get-ProviderToken AzureManagedIdentity -Scope 'https://graph.microsoft.com/.default' -AsPlainText }

        (Get-Claim $token).aud | Should -Be 'https://graph.microsoft.com'
        $call = Get-LastTokenCall imds
        $call.query.'api-version' | Should -Be '2018-02-01'
        $call.query.resource | Should -Be 'https://graph.microsoft.com'
    }

    It 'gets a user-assigned identity''s token by its client id (<Platform>), named as that endpoint names it' -ForEach @(
        @{ Platform = 'Imds'; Endpoint = 'imds'; Id = '0d1c2b3a-2222-4e5f-8a9b-00000000c002'; Field = 'client_id' }
        @{ Platform = 'AppService'; Endpoint = 'app-service'; Id = '0d1c2b3a-2222-4e5f-8a9b-00000000c002'; Field = 'client_id' }
        @{ Platform = 'AppService'; Endpoint = 'app-service'; Id = 'ObjectId:0d1c2b3a-2222-4e5f-8a9b-00000000a002'; Field = 'principal_id' }
        @{ Platform = 'Imds'; Endpoint = 'imds'; Id = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/tokenauth/providers/Microsoft.ManagedIdentity/userAssignedIdentities/emulator-uami'; Field = 'msi_res_id' }
    ) {
        Reset-TokenAuthEmulator $Emulator

        $token = Use-Platform $Platform { Get-ProviderToken AzureManagedIdentity -ClientId $Id -Resource https://graph.microsoft.com -AsPlainText }

        (Get-Claim $token).sub | Should -Be $UserObjectId
        (Get-LastTokenCall $Endpoint).query.$Field | Should -Be ($Id -replace '^ObjectId:')
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'managed-identity/user-assigned' | Should -Be 1
    }

    It 'keeps a token per resource and per identity' {
        Reset-TokenAuthEmulator $Emulator

        Use-Platform AppService {
            $null = Get-ProviderToken AzureManagedIdentity -Resource https://graph.microsoft.com
            $null = Get-ProviderToken AzureManagedIdentity -Resource https://management.azure.com
            $null = Get-ProviderToken AzureManagedIdentity -Resource https://graph.microsoft.com -ClientId $UserClientId
            $null = Get-ProviderToken AzureManagedIdentity -Resource https://graph.microsoft.com
        }

        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'managed-identity/app-service' | Should -Be 3
        @(Get-ProviderTokenCache -Provider AzureManagedIdentity).Count | Should -Be 3
    }
}

Describe 'The managed identity as a federated client assertion' {
    It 'gets a token from a server that trusts the machine''s <Name> identity (ManagedIdentity<Suffix>)' -ForEach @(
        @{ Name = 'system-assigned'; Suffix = '' }
        @{ Name = 'user-assigned'; Suffix = ':0d1c2b3a-2222-4e5f-8a9b-00000000c002' }
    ) {
        Reset-TokenAuthEmulator $Emulator

        $text = Get-TokenAuthAllStream {
            Use-Platform AppService { Get-ProviderToken MiFederated -BaseUri $Base -ClientId demo-mi-client -ClientAssertion "ManagedIdentity$Suffix" -Force -Verbose -Debug }
        }

        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/assertion-accepted' | Should -Be 1
        (Get-LastTokenCall app-service).query.resource | Should -Be 'api://AzureADTokenExchange'
        $text | Should -Match 'ManagedIdentity'
        $Streams.Add($text)
    }
}

Describe 'Per-call token parameters' {
    It '-TenantId gives one cache entry per tenant of one definition, each from its tenant''s token path' {
        Reset-TokenAuthEmulator $Emulator

        $null = Get-ProviderToken EntraTenants -Credential $OAuth2Credential -TenantId contoso.onmicrosoft.com
        $null = Get-ProviderToken EntraTenants -Credential $OAuth2Credential -TenantId 72f988bf-86f1-41af-91ab-2d7cd011db47
        $null = Get-ProviderToken EntraTenants -Credential $OAuth2Credential -TenantId contoso.onmicrosoft.com

        @(Get-ProviderTokenCache -Provider EntraTenants).Count | Should -Be 2
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/tenant-token' | Should -Be 2 -Because 'the third call is the first tenant''s cached token'
        $tenants = (Get-ManagedIdentityEvidence).tokenCalls | Where-Object endpoint -EQ 'tenant-token' | Select-Object -Last 2 -ExpandProperty tenant
        $tenants | Should -Be @('contoso.onmicrosoft.com', '72f988bf-86f1-41af-91ab-2d7cd011db47')
    }

    It '-Resource (repeated), -Audience and -TokenParameter reach the token call, and make a cache entry of their own' {
        Reset-TokenAuthEmulator $Emulator

        $null = Get-ProviderToken EntraTenants -Credential $OAuth2Credential -TenantId contoso.onmicrosoft.com -Resource https://api.example.com/a, https://api.example.com/b `
            -Audience urn:example:audience -TokenParameter @{ requested_token_use = 'on_behalf_of'; max_age = 300 }

        $form = (Get-LastTokenCall tenant-token).form
        $form.resource | Should -Be @('https://api.example.com/a', 'https://api.example.com/b')
        $form.audience | Should -Be 'urn:example:audience'
        $form.requested_token_use | Should -Be 'on_behalf_of'
        $form.max_age | Should -Be '300'
        $form.grant_type | Should -Be 'client_credentials'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/tenant-token' | Should -Be 1 -Because 'the earlier contoso token was for no resource'
    }

    It 'refuses a tenant that would change the token call''s origin or path (<TenantId>), by name, sending nothing' -ForEach @(
        @{ TenantId = 'evil.example.com/x' }, @{ TenantId = 'x@evil.example.com' }, @{ TenantId = 'x?y=1' }, @{ TenantId = 'x#y' }, @{ TenantId = '..' }
        @{ TenantId = 'evil.example.com:443' }, @{ TenantId = 'a\b' }
    ) {
        Reset-TokenAuthEmulator $Emulator

        { Get-ProviderToken EntraTenants -Credential $OAuth2Credential -TenantId $TenantId -ErrorAction Stop } | Should -Throw -ErrorId 'TokenParameterChangesOrigin,*'

        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/tenant-token' | Should -BeNullOrEmpty
    }

    It 'refuses a -TokenParameter that would take the place of <Name>' -ForEach @(
        @{ Name = 'client_secret' }, @{ Name = 'grant_type' }, @{ Name = 'client_assertion' }, @{ Name = 'scope' }, @{ Name = 'my_password' }
    ) {
        { Get-ProviderToken EntraTenants -Credential $OAuth2Credential -TenantId contoso -TokenParameter @{ $Name = 'x' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'TokenParameterRefused,*'
    }

    It 'refuses -TenantId for a definition that names no {TenantId}, rather than dropping it' {
        { Get-ProviderToken Ankorstore -BaseUri (Get-TokenAuthEmulatorBaseUri $Emulator Ankorstore) -TenantId contoso -ErrorAction Stop } |
            Should -Throw -ErrorId 'TokenParameterRefused,*'
    }
}

Describe 'No managed identity secret in any stream' {
    It 'shows neither the identity header, an Arc key, nor any token issued in anything written' {
        $evidence = Invoke-RestMethod "$($Base)_emulator/evidence"
        $keys = @((Get-ManagedIdentityEvidence).arcKeys)
        $keys.Count | Should -BeGreaterThan 0
        $text = ($Streams -join "`n") + (Get-TokenAuthAllStream {
                Use-Platform AppService { Get-ProviderToken AzureManagedIdentity -Resource https://graph.microsoft.com -Force -Verbose -Debug }
                Set-TokenAuthOption -ArcKeyFolder $ArcFolder
                Use-Platform Arc { Get-ProviderToken AzureManagedIdentity -Resource https://storage.azure.com -Force -Verbose -Debug }
                Use-Platform AppService { Get-ProviderToken AzureManagedIdentity -Resource 'not a uri' -Verbose -Debug -ErrorAction Continue }
                Use-Platform Imds { Get-ProviderToken AzureManagedIdentity -ClientId 11111111-2222-3333-4444-555555555555 -Resource https://graph.microsoft.com -Verbose -Debug -ErrorAction Continue }
            })

        $text | Should -Match 'managed identity'
        $text | Should -Not -Match $IdentityHeader
        foreach ($key in $keys) { $text | Should -Not -Match $key }
        foreach ($secret in $evidence.issuedSecrets) { $text.Contains($secret) | Should -BeFalse }
    }
}
