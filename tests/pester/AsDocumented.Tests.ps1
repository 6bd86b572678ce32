# The five providers against the emulator playing each "as its document shows and no more" (--as-documented): where
# TokenAuth's reading goes beyond a document (shared/PROVIDERS.md's gaps), a real service may lack what we assumed, and
# every flow must then succeed or degrade by name. Tokens live 3 s so that renewal past expiry happens in real time.
param ()

BeforeDiscovery {
    $script:Providers = @(
        @{ Name = 'Kitegateway'; Notified = $false; WhoAmI = 'Claims' }
        @{ Name = 'Ankorstore'; Notified = $false; WhoAmI = 'Verified' }
        @{ Name = 'CoreBanking'; Notified = $false; WhoAmI = 'None' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $lifetimes = foreach ($provider in 'akiba', 'kitegateway', 'ankorstore', 'corebanking', 'apimw') { '--token-lifetime', "$provider=3" }
    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json') -EmulatorArgumentList (@('--as-documented') + $lifetimes)
    $script:Emulator = $Session.Emulator

    function Base([string] $Provider) { Get-TokenAuthEmulatorBaseUri -Emulator $script:Emulator -Provider $Provider }
    function Counter([string] $Key) { [int] (Get-TokenAuthEmulatorCounter -Emulator $script:Emulator -Key $Key) }

    # Waits until the token has expired by the machine's clock (the emulator's too): the next call must renew it.
    function Wait-PastExpiry($Token) {
        $left = $Token.ExpiresOn - [DateTime]::UtcNow
        if ($left -gt [TimeSpan]::Zero) { Start-Sleep -Milliseconds ([int] $left.TotalMilliseconds + 300) }
    }

    # Token, request, renewal past expiry and a request with the new token; returns the first token.
    function Test-TokenFlow([string] $Provider, [string] $BaseUri, [hashtable] $Extra = @{}) {
        $token = Get-ProviderToken $Provider -BaseUri $BaseUri @Extra
        $token.FromCache | Should -BeFalse
        (Invoke-AuthenticatedRequest $Provider -BaseUri $BaseUri -Uri resources/sample @Extra).message | Should -Be 'Hello from the TokenAuth emulator'

        Wait-PastExpiry $token
        (Invoke-AuthenticatedRequest $Provider -BaseUri $BaseUri -Uri resources/sample @Extra).message | Should -Be 'Hello from the TokenAuth emulator'
        (Get-ProviderToken $Provider -BaseUri $BaseUri @Extra).ExpiresOn | Should -BeGreaterThan $token.ExpiresOn
        $token
    }
}

AfterAll {
    Exit-TokenAuthTestSession -Session $Session
}

Describe 'Providers as their documents show them' {
    BeforeEach { Revoke-ProviderToken -All -Confirm:$false | Out-Null; Reset-TokenAuthEmulator -Emulator $Emulator }

    It '<Name>: token, request, renewal past expiry, revoke and who-am-I, as before (its document shows what TokenAuth uses)' -ForEach $Providers {
        $null = Test-TokenFlow -Provider $Name -BaseUri (Base $Name)
        Counter "$($Name.ToLowerInvariant())/token" | Should -Be 2

        $identity = Get-WhoAmI $Name -BaseUri (Base $Name) -ErrorVariable failure -ErrorAction SilentlyContinue
        switch ($WhoAmI) {
            'Verified' { $identity.VerifiedByProvider | Should -BeTrue }
            'Claims' { $identity.VerifiedByProvider | Should -BeFalse; $identity.Claims.sub | Should -Not -BeNullOrEmpty }
            'None' { $failure[0].FullyQualifiedErrorId | Should -Be 'NotSupportedByProvider,TokenAuth.Commands.GetWhoAmICommand' }
        }

        $revoked = Revoke-ProviderToken $Name -BaseUri (Base $Name) -Confirm:$false -ErrorVariable revokeFailure -WarningAction SilentlyContinue
        $revokeFailure | Should -BeNullOrEmpty
        $revoked.Forgotten | Should -BeTrue
        $revoked.ProviderNotified | Should -Be $Notified
    }

    It 'APIMW: renewed by the credentials after its refresh endpoint answers 404, which is never asked again in the session' {
        $base = Base APIMW
        $token = Get-ProviderToken APIMW -BaseUri $base
        Wait-PastExpiry $token
        $renewal = Get-TokenAuthAllStream { Invoke-AuthenticatedRequest APIMW -BaseUri $base -Uri resources/sample -Verbose }

        $renewal | Should -Match 'APIMW has no refresh endpoint at http://127\.0\.0\.1:\d+/apimw/v1/auth/refresh \(it answered HTTP 404\); getting new tokens with the credentials'
        $renewal | Should -Match 'Hello from the TokenAuth emulator'
        Counter apimw/refresh | Should -Be 1
        Counter apimw/token | Should -Be 2

        Wait-PastExpiry (Get-ProviderToken APIMW -BaseUri $base)
        $second = Get-TokenAuthAllStream { Invoke-AuthenticatedRequest APIMW -BaseUri $base -Uri resources/sample -Verbose }

        $second | Should -Match 'Hello from the TokenAuth emulator'
        $second | Should -Not -Match 'refresh'
        Counter apimw/refresh | Should -Be 1
        Counter apimw/token | Should -Be 3
    }

    It 'APIMW: who-am-I shows the token''s own claims, marked not verified, and revoke only forgets, without an error' {
        $base = Base APIMW
        $token = Get-ProviderToken APIMW -BaseUri $base -AsPlainText
        $identity = Get-WhoAmI APIMW -BaseUri $base -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure | Should -BeNullOrEmpty
        $identity.VerifiedByProvider | Should -BeFalse
        $identity.Source | Should -Be 'token claims (not verified by the provider)'
        $identity.Claims.iss | Should -Be 'tokenauth-emulator/apimw'
        Counter apimw/whoami | Should -Be 1

        $text = Get-TokenAuthAllStream { Revoke-ProviderToken APIMW -BaseUri $base -Confirm:$false -Verbose }
        $revoked = Revoke-ProviderToken APIMW -BaseUri $base -Confirm:$false -ErrorVariable revokeFailure -WarningAction SilentlyContinue

        $text | Should -Match 'APIMW has no revoke endpoint at http://127\.0\.0\.1:\d+/apimw/v1/auth/revoke \(it answered HTTP 404\), so the provider was not told'
        $text | Should -Not -Match ([regex]::Escape($token))
        $revokeFailure | Should -BeNullOrEmpty
        $revoked.ProviderNotified | Should -BeFalse
        (Get-ProviderTokenCache | Where-Object Provider -EQ APIMW) | Should -BeNullOrEmpty
        Counter apimw/revoke | Should -Be 1
    }

    It 'Akiba: the guessed token path gives a named error with the way out, and the way out works end to end' {
        $base = Base Akiba
        Get-ProviderToken Akiba -BaseUri $base -ErrorVariable failure -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        $failure[0].FullyQualifiedErrorId | Should -Be 'AssumedTokenPathNotFound,TokenAuth.Commands.GetProviderTokenCommand'
        $failure[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failure[0].Exception.Message | Should -Match "Akiba has no token endpoint at http://127\.0\.0\.1:\d+/akiba/authorization/token \(HTTP 404\)\. The path /authorization/token is TokenAuth's reading of Akiba's document"
        $failure[0].Exception.Message | Should -Match ([regex]::Escape('(Get-TokenAuthProvider Akiba).DefinitionJson | Set-Content AkibaCustom.json'))

        # As the error says: a copy of the built-in definition, renamed, with the right path, and the stored credential.
        $definition = (Get-TokenAuthProvider Akiba).DefinitionJson | ConvertFrom-Json
        $definition.name = 'DocumentedAkiba'
        $definition.token.path = '/authorization/access-token'
        $path = Join-Path $TestDrive 'DocumentedAkiba.json'
        $definition | ConvertTo-Json -Depth 10 | Set-Content $path
        $null = Register-TokenAuthProvider $path
        $stored = @{ SecretName = 'TokenAuth.Akiba' }

        $null = Test-TokenFlow -Provider DocumentedAkiba -BaseUri $base -Extra $stored
        Counter akiba/token | Should -Be 3
        (Get-WhoAmI DocumentedAkiba -BaseUri $base @stored).VerifiedByProvider | Should -BeTrue
        (Revoke-ProviderToken DocumentedAkiba -BaseUri $base -Confirm:$false @stored).ProviderNotified | Should -BeTrue
    }
}
