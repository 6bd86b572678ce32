# Every cmdlet against every provider on the emulator, with credentials in a real SecretManagement vault.
# Run through Invoke-PesterSuite.ps1 (dotnet test does, where pwsh and Pester are installed).
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'Tests build credentials from the emulator''s published demo values.')]
param ()

BeforeDiscovery {
    $script:Providers = @(
        @{ Name = 'Akiba'; WhoAmI = 'Verified' }
        @{ Name = 'Kitegateway'; WhoAmI = 'Claims' }
        @{ Name = 'Ankorstore'; WhoAmI = 'Verified' }
        @{ Name = 'CoreBanking'; WhoAmI = 'None' }
        @{ Name = 'APIMW'; WhoAmI = 'Verified' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json')
    $script:Emulator = $Session.Emulator
    $script:VaultName = $Session.VaultName
    $script:Credentials = $Session.Credentials
    $script:Secrets = $Session.Secrets

    function Base([string] $Provider) { Get-TokenAuthEmulatorBaseUri -Emulator $script:Emulator -Provider $Provider }
    function Counter([string] $Key) { Get-TokenAuthEmulatorCounter -Emulator $script:Emulator -Key $Key }
}

AfterAll {
    Exit-TokenAuthTestSession -Session $Session
}

Describe 'Get-ProviderToken' {
    BeforeEach { Revoke-ProviderToken -All -Confirm:$false | Out-Null; Reset-TokenAuthEmulator -Emulator $Emulator }

    It 'gets a <Name> token with the credential from the default vault, then serves it from the cache' -ForEach $Providers {
        $first = Get-ProviderToken -Provider $Name -BaseUri (Base $Name)
        $second = Get-ProviderToken -Provider $Name -BaseUri (Base $Name)

        $first | Should -BeOfType 'TokenAuth.Commands.ProviderToken'
        $first.Token | Should -BeOfType ([securestring])
        $first.FromCache | Should -BeFalse
        $second.FromCache | Should -BeTrue
        $first.ExpiresOn.Kind | Should -Be 'Utc'
        $first.SecretName | Should -Be "TokenAuth.$Name"
        Counter "$($Name.ToLowerInvariant())/token" | Should -Be 1
    }

    It 'never shows the token in its default view' {
        $token = Get-ProviderToken -Provider APIMW -BaseUri (Base APIMW)
        $plain = Get-ProviderToken -Provider APIMW -BaseUri (Base APIMW) -AsPlainText

        $plain | Should -BeOfType ([string])
        ($token | Out-String) | Should -Not -Match ([regex]::Escape($plain))
        ($token | Format-List * | Out-String) | Should -Not -Match ([regex]::Escape($plain))
    }

    It '-Force gets a new token' {
        $first = Get-ProviderToken -Provider Akiba -BaseUri (Base Akiba) -AsPlainText
        $forced = Get-ProviderToken -Provider Akiba -BaseUri (Base Akiba) -AsPlainText -Force

        $forced | Should -Not -Be $first
        Counter 'akiba/token' | Should -Be 2
    }

    It 'takes -Credential instead of a vault' {
        $credential = [pscredential]::new($Credentials.apimw.apiKey, (ConvertTo-SecureString $Credentials.apimw.apiSecret -AsPlainText -Force))

        (Get-ProviderToken -Provider APIMW -BaseUri (Base APIMW) -Credential $credential).Provider | Should -Be 'APIMW'
    }

    It 'completes provider names' {
        $completion = TabExpansion2 -inputScript 'Get-ProviderToken -Provider Ank' -cursorColumn 31
        $completion.CompletionMatches.CompletionText | Should -Contain 'Ankorstore'
    }

    It 'fails with <Id> when <Case>' -ForEach @(
        @{ Case = 'the secret is missing'; Id = 'SecretNotFound'; Arguments = @{ Provider = 'Akiba'; SecretName = 'NoSuchSecret' } }
        @{ Case = 'the vault does not exist'; Id = 'SecretVaultNotFound'; Arguments = @{ Provider = 'Akiba'; Vault = 'NoSuchVault' } }
        @{ Case = 'CoreBanking has no base URI'; Id = 'InvalidProviderConfiguration'; Arguments = @{ Provider = 'CoreBanking' } }
        @{ Case = 'the provider is unknown'; Id = 'InvalidProviderConfiguration'; Arguments = @{ Provider = 'Nope' } }
    ) {
        { Get-ProviderToken @Arguments -ErrorAction Stop } | Should -Throw -ErrorId "$Id,TokenAuth.Commands.GetProviderTokenCommand"
    }

    It 'fails with SecretWrongShape, naming the missing keys and no value' {
        Set-Secret -Name 'Akiba.Incomplete' -Vault $VaultName -Secret ([pscredential]::new('id', (ConvertTo-SecureString 'incomplete-secret-zz' -AsPlainText -Force)))

        $thrown = { Get-ProviderToken -Provider Akiba -BaseUri (Base Akiba) -SecretName 'Akiba.Incomplete' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SecretWrongShape,TokenAuth.Commands.GetProviderTokenCommand' -PassThru
        $thrown.Exception.Message | Should -Match 'ClientCredential'
        $thrown.Exception.Message | Should -Not -Match 'incomplete-secret-zz'
    }

    It 'fails with SecretVaultLocked when the vault is locked, without prompting' {
        $locked = $VaultName + 'Locked'
        Register-TokenAuthTestVault -Name $locked -Path (Join-Path $TestDrive 'vault.json') -Locked
        try {
            { Get-ProviderToken -Provider APIMW -BaseUri (Base APIMW) -Vault $locked -ErrorAction Stop } |
                Should -Throw -ErrorId 'SecretVaultLocked,TokenAuth.Commands.GetProviderTokenCommand'
        }
        finally {
            Unregister-SecretVault -Name $locked
        }
    }

    It 'fails with ProviderRejectedToken, and ErrorDetails naming the call, status, code and the provider''s message, for a wrong secret' {
        Set-Secret -Name 'APIMW.Wrong' -Vault $VaultName -Secret ([pscredential]::new($Credentials.apimw.apiKey, (ConvertTo-SecureString 'wrong-secret-value' -AsPlainText -Force)))

        $thrown = { Get-ProviderToken -Provider APIMW -BaseUri (Base APIMW) -SecretName 'APIMW.Wrong' -ErrorAction Stop } |
            Should -Throw -ErrorId 'ProviderRejectedToken,TokenAuth.Commands.GetProviderTokenCommand' -PassThru
        $thrown.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $thrown.ErrorDetails.Message | Should -Be 'APIMW token request refused (401 INVALID_CREDENTIALS): Invalid API Key or Secret'
        $thrown.ErrorDetails.RecommendedAction | Should -Match 'Check the credential'
    }

    It 'writes a non-terminating error per failing item and goes on' {
        $results = @((Get-ProviderToken Akiba -BaseUri (Base Akiba)), [pscustomobject]@{ Provider = 'Nope' }, (Get-ProviderToken APIMW -BaseUri (Base APIMW))) |
            Get-ProviderToken -ErrorVariable failures -ErrorAction SilentlyContinue

        $results.Provider | Should -Be @('Akiba', 'APIMW')
        $failures.Count | Should -Be 1
    }
}

Describe 'Invoke-AuthenticatedRequest' {
    BeforeAll { Revoke-ProviderToken -All -Confirm:$false | Out-Null }

    It 'calls <Name> with its own scheme and returns objects' -ForEach $Providers {
        $response = Invoke-AuthenticatedRequest -Provider $Name -BaseUri (Base $Name) -Uri 'resources/sample'
        $response.message | Should -Be 'Hello from the TokenAuth emulator'
    }

    It 'unrolls JSON arrays into the pipeline' {
        $items = Invoke-AuthenticatedRequest -Provider Akiba -BaseUri (Base Akiba) -Uri 'resources/items'
        $items.Count | Should -Be 3
        $items[2].name | Should -Be 'third'
    }

    It 'sends JSON bodies and forms, and returns raw text with -Raw' {
        $json = Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/echo' -Method POST -Body @{ name = 'x' }
        $form = Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/echo' -Method POST -Body @{ a = '1' } -ContentType 'application/x-www-form-urlencoded'
        $raw = Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/scalar' -Raw

        $json.body | Should -Be '{"name":"x"}'
        $form.body | Should -Be 'a=1'
        $raw | Should -BeExactly '42'
    }

    It 'fills -StatusCodeVariable and -ResponseHeadersVariable, and -SkipHttpErrorCheck returns errors' {
        $body = Invoke-AuthenticatedRequest APIMW -BaseUri (Base APIMW) -Uri 'resources/status/404' -SkipHttpErrorCheck -StatusCodeVariable status -ResponseHeadersVariable headers

        $status | Should -Be 404
        ($headers['Content-Type'] -join '; ') | Should -Match 'application/json'
        $body.error.code | Should -Be 'STATUS_404'
    }

    It 'raises RequestFailed with the provider message for a non-success answer' {
        $thrown = { Invoke-AuthenticatedRequest APIMW -BaseUri (Base APIMW) -Uri 'resources/status/404' -ErrorAction Stop } |
            Should -Throw -ErrorId 'RequestFailed,TokenAuth.Commands.InvokeAuthenticatedRequestCommand' -PassThru
        $thrown.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $thrown.ErrorDetails.Message | Should -Be 'APIMW request refused (404 STATUS_404): Status 404 as asked'
    }

    It 'refuses to send the token to another origin' {
        { Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'https://attacker.example/x' -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnsafeRequest,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
    }

    It 'streams to -OutFile' {
        $file = Join-Path $TestDrive 'download.bin'
        Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/bytes?size=100000' -OutFile $file | Should -BeNullOrEmpty
        (Get-Item $file).Length | Should -Be 100000
    }

    It 'keeps the previous -OutFile when a download breaks off, and leaves no partial file' {
        $file = Join-Path $TestDrive 'kept.bin'
        Set-Content $file 'yesterday''s report' -NoNewline

        Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/bytes?size=1048576&cut=131072' -OutFile $file -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure.FullyQualifiedErrorId | Should -Be 'ProviderUnreachable,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
        Get-Content $file -Raw | Should -BeExactly 'yesterday''s report'
        Get-ChildItem $TestDrive -Filter '*.partial' | Should -BeNullOrEmpty
    }

    It 'accepts a token object from the pipeline' {
        (Get-ProviderToken APIMW -BaseUri (Base APIMW) | Invoke-AuthenticatedRequest -Uri 'resources/sample').provider | Should -Be 'apimw'
    }

    It 'accepts token objects of several providers from the pipeline, each request going to its own provider' {
        $tokens = 'Akiba', 'APIMW' | ForEach-Object { Get-ProviderToken $_ -BaseUri (Base $_) }
        ($tokens | Invoke-AuthenticatedRequest -Uri 'resources/sample').provider | Should -Be @('akiba', 'apimw')
    }

    It 'shares one token request among 20 parallel requests' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
        Reset-TokenAuthEmulator -Emulator $Emulator
        $module = $Session.Manifest
        $base = Base Ankorstore

        $results = 1..20 | ForEach-Object -ThrottleLimit 20 -Parallel {
            Import-Module $using:module
            Invoke-AuthenticatedRequest -Provider Ankorstore -BaseUri $using:base -Uri 'resources/sample'
        }

        $results.Count | Should -Be 20
        Counter 'ankorstore/token' | Should -Be 1
        Counter 'ankorstore/sample' | Should -Be 20
    }
}

Describe 'Invoke-AuthenticatedRequest -ThrottleLimit' {
    BeforeEach {
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
        Reset-TokenAuthEmulator -Emulator $Emulator
    }

    It 'sends piped URIs concurrently, writes results in the input''s order, with one token request' {
        $uris = 1..40 | ForEach-Object { "resources/echo?n=$_" }

        $results = $uris | Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -ThrottleLimit 8

        ($results.query.n -join ',') | Should -BeExactly ((1..40) -join ',')
        Counter 'akiba/token' | Should -Be 1
        Counter 'akiba/echo' | Should -Be 40
    }

    It 'has up to the limit in flight: 8 half-second requests take about one half-second' -Tag WallClock {
        $null = Get-ProviderToken Akiba -BaseUri (Base Akiba)
        $uris = @('resources/slow?ms=500') * 8

        $throttled = Measure-Command { $uris | Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -ThrottleLimit 8 }
        $oneByOne = Measure-Command { $uris | Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) }

        $oneByOne.TotalSeconds | Should -BeGreaterThan 3.9
        $throttled.TotalSeconds | Should -BeLessThan 2 -Because 'sequentially, the same requests took 4 s or more'
    }

    It 'keeps the limit in flight while an early request is slow: later ones start and finish, then wait their turn' {
        $null = Get-ProviderToken Akiba -BaseUri (Base Akiba)
        $uris = @('resources/slow?ms=4000') + (1..20 | ForEach-Object { "resources/echo?n=$_" })

        # What the emulator had answered when each result was written: behind the slow first one, all twenty.
        $written = $uris | Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -ThrottleLimit 2 |
            ForEach-Object { [pscustomobject]@{ N = $_.query.n; EchoesAnswered = Counter 'akiba/echo' } }

        $written.Count | Should -Be 21
        $written[0].EchoesAnswered | Should -Be 20 -Because 'a first-in-first-out window of 2 would have let only one more start'
        (($written | Select-Object -Skip 1).N -join ',') | Should -BeExactly ((1..20) -join ',')
    }

    It 'binds -Uri by property name, and reports a failing item in its place without stopping the others' {
        $items = 'resources/echo?n=1', 'resources/status/404', 'resources/echo?n=3' | ForEach-Object { [pscustomobject]@{ Uri = $_ } }

        $stream = @($items | Invoke-AuthenticatedRequest APIMW -BaseUri (Base APIMW) -ThrottleLimit 3 2>&1)

        $stream.Count | Should -Be 3
        $stream[0].query.n | Should -Be '1'
        $stream[1] | Should -BeOfType ([System.Management.Automation.ErrorRecord])
        $stream[1].FullyQualifiedErrorId | Should -Be 'RequestFailed,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
        $stream[1].TargetObject | Should -Be 'resources/status/404'
        $stream[2].query.n | Should -Be '3'
    }

    It 'refuses -OutFile and paging, which write one request after another' {
        { 'resources/bytes' | Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -ThrottleLimit 2 -OutFile (Join-Path $TestDrive 'x.bin') } |
            Should -Throw -ErrorId 'InvalidRequest,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
        { Invoke-AuthenticatedRequest Akiba 'resources/pages/link' -BaseUri (Base Akiba) -ThrottleLimit 2 -FollowRelLink } |
            Should -Throw -ErrorId 'InvalidRequest,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
        Counter 'akiba/bytes' | Should -BeNullOrEmpty
    }

    It 'cancels what is still in flight when a later command stops the pipeline' -Tag WallClock {
        $null = Get-ProviderToken Akiba -BaseUri (Base Akiba)
        $uris = @('resources/echo?n=1') + @('resources/slow?ms=3000') * 6

        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $first = $uris | Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -ThrottleLimit 8 | Select-Object -First 1
        $watch.Stop()

        $first.query.n | Should -Be '1'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 2.5 -Because 'the slow requests are cancelled, not waited for'
    }
}

Describe 'Revoke-ProviderToken' {
    BeforeEach { Reset-TokenAuthEmulator -Emulator $Emulator }

    It '-WhatIf revokes nothing' {
        $null = Get-ProviderToken Akiba -BaseUri (Base Akiba)
        Revoke-ProviderToken Akiba -BaseUri (Base Akiba) -WhatIf
        Counter 'akiba/revoke' | Should -BeNullOrEmpty
        (Get-ProviderToken Akiba -BaseUri (Base Akiba)).FromCache | Should -BeTrue
    }

    It 'revokes at <_> and forgets the token' -ForEach 'Akiba', 'APIMW' {
        $null = Get-ProviderToken $_ -BaseUri (Base $_)
        $result = Revoke-ProviderToken $_ -BaseUri (Base $_) -Confirm:$false

        $result.ProviderNotified | Should -BeTrue
        $result.Forgotten | Should -BeTrue
        (Get-ProviderToken $_ -BaseUri (Base $_)).FromCache | Should -BeFalse
    }

    It 'warns that <_> itself was not told' -ForEach 'Kitegateway', 'Ankorstore', 'CoreBanking' {
        $null = Get-ProviderToken $_ -BaseUri (Base $_)
        $result = Revoke-ProviderToken $_ -BaseUri (Base $_) -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue

        $result.Forgotten | Should -BeTrue
        $result.ProviderNotified | Should -BeFalse
        $warnings | Should -Match 'provider was not told'
    }

    It 'revokes a token piped from Get-ProviderToken' {
        $result = Get-ProviderToken APIMW -BaseUri (Base APIMW) | Revoke-ProviderToken -Confirm:$false
        $result.ProviderNotified | Should -BeTrue
    }
}

Describe 'Get-WhoAmI' {
    It 'describes the identity behind the <Name> token' -ForEach $Providers {
        switch ($WhoAmI) {
            'Verified' { (Get-WhoAmI $Name -BaseUri (Base $Name)).VerifiedByProvider | Should -BeTrue }
            'Claims' {
                $identity = Get-WhoAmI $Name -BaseUri (Base $Name)
                $identity.VerifiedByProvider | Should -BeFalse
                $identity.Claims.iss | Should -Be 'tokenauth-emulator/kitegateway'
            }
            'None' {
                { Get-WhoAmI $Name -BaseUri (Base $Name) -ErrorAction Stop } | Should -Throw -ErrorId 'NotSupportedByProvider,TokenAuth.Commands.GetWhoAmICommand'
            }
        }
    }
}

Describe 'Custom providers' {
    It 'registers a JSON definition after which all four cmdlets work' {
        Register-TokenAuthProvider -Path (Join-Path $PSScriptRoot '../../examples/oauth2-client-credentials.json') | Out-Null
        $credential = [pscredential]::new($Credentials.oauth2.clientId, (ConvertTo-SecureString $Credentials.oauth2.clientSecret -AsPlainText -Force))
        $target = @{ Provider = 'ExampleOAuth2'; BaseUri = $Emulator.Root; Credential = $credential; Scope = 'orders:read' }

        (Get-TokenAuthProvider -Name ExampleOAuth2).Revoke | Should -BeTrue
        (Get-ProviderToken @target).Scope | Should -Be 'orders:read'
        (Invoke-AuthenticatedRequest @target -Uri 'oauth2/resources/sample').provider | Should -Be 'oauth2'
        (Get-WhoAmI @target).Claims.scope | Should -Be 'orders:read'
        (Revoke-ProviderToken @target -Confirm:$false).ProviderNotified | Should -BeTrue
    }

    It 'names the bad field of a broken definition' {
        $file = Join-Path $TestDrive 'broken.json'
        '{ "name": "Broken", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t", "encoding": "Xml" } }' | Set-Content $file
        $thrown = { Register-TokenAuthProvider -Path $file -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidProviderConfiguration,TokenAuth.Commands.RegisterTokenAuthProviderCommand' -PassThru
        $thrown.Exception.Message | Should -Match '\$\.token\.encoding'
    }
}

Describe 'Streams' {
    It '-Debug alone shows each request''s headers with Authorization masked' {
        $records = Invoke-AuthenticatedRequest APIMW -BaseUri (Base APIMW) -Uri 'resources/sample' -Debug 5>&1 |
            Where-Object { $_ -is [System.Management.Automation.DebugRecord] }
        $token = Get-ProviderToken APIMW -BaseUri (Base APIMW) -AsPlainText

        ($records.Message -join "`n") | Should -Match 'GET http://127\.0\.0\.1:\d+/apimw/resources/sample headers: .*Authorization: \*\*\*'
        ($records.Message -join "`n") | Should -Not -Match ([regex]::Escape($token))
    }

    It '-Verbose and -Debug show cache use and endpoints but no secret or token' {
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
        $output = & {
            # The preference rather than -Debug, which on Windows PowerShell 5.1 means Inquire and would prompt.
            $DebugPreference = 'Continue'
            foreach ($provider in 'Akiba', 'Kitegateway', 'Ankorstore', 'CoreBanking', 'APIMW') {
                # Only the Verbose and Debug streams are under test: the echo's own output repeats the body.
                $null = Get-ProviderToken $provider -BaseUri (Base $provider) -Verbose
                $null = Invoke-AuthenticatedRequest $provider -BaseUri (Base $provider) -Uri 'resources/echo' -Method POST -Body @{ password = 'body-secret-zz' } -Verbose
            }
        } 4>&1 5>&1 | Out-String
        $tokens = foreach ($provider in 'Akiba', 'Kitegateway', 'Ankorstore', 'CoreBanking', 'APIMW') { Get-ProviderToken $provider -BaseUri (Base $provider) -AsPlainText }

        $output | Should -Match 'cached token used'
        $output | Should -Match 'requesting a token at http://127\.0\.0\.1'
        $output | Should -Match 'Authorization: \*\*\*'
        $output | Should -Match '"password":"\*\*\*"'
        foreach ($secret in @($Secrets) + @($tokens) + 'body-secret-zz') {
            $output | Should -Not -Match ([regex]::Escape($secret))
        }
    }
}
