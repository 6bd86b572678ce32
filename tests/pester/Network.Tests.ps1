# Real networks through the cmdlets: HTTPS with a throwaway test CA trusted as a corporate CA is, certificates a client
# must refuse, a real forward proxy (Debian's tinyproxy) with and without Basic credentials, mutual TLS with a client
# certificate from a real SecretStore vault, and the session options that set all of it.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'Test values: the emulator''s demo credentials and throwaway proxy and PFX passwords.')]
param ()

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    function ConvertTo-TestCredential([string] $User, [string] $Secret) { [pscredential]::new($User, (ConvertTo-SecureString $Secret -AsPlainText -Force)) }
    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json')
    $script:Plain = $Session.Emulator
    $script:Certificates = New-TokenAuthTestCertificate -Path (Join-Path $TestDrive 'certificates')
    $script:Tls = Start-TokenAuthEmulator -Https @{
        Trusted = $Certificates.Server; WrongName = $Certificates.WrongName; Expired = $Certificates.Expired; Untrusted = $Certificates.Untrusted
    }
    # The standard OAuth2 server (its paths start /oauth2) demands the test client certificate here.
    $script:MutualTls = Start-TokenAuthEmulator -Https @{ Trusted = $Certificates.Server } -ArgumentList '--client-certificate', "oauth2=$($Certificates.Client.Thumbprint)"
    $script:Proxy = Start-TokenAuthTestProxy -Folder (Join-Path $TestDrive 'proxy')
    $script:ProxyPassword = 'proxy-pa55-' + [Guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:AuthenticatingProxy = Start-TokenAuthTestProxy -Folder (Join-Path $TestDrive 'authenticating-proxy') -Credential (ConvertTo-TestCredential 'ops' $ProxyPassword)
    $script:NoProxyReason = 'tinyproxy is not installed (apt-get install tinyproxy; .ci/run installs it)'

    $script:OAuth2Credential = ConvertTo-TestCredential $Session.Credentials.oauth2.clientId $Session.Credentials.oauth2.clientSecret
    # APIMW's demo credential as a command for a fresh pwsh.
    function Get-ApimwCredentialScript { Get-TokenAuthCredentialScript $Session.Credentials.apimw }

    # The standard OAuth2 example, renamed, with more fields.
    function Register-OAuth2Variant([string] $Name, [hashtable] $Extra = @{}) {
        Register-TokenAuthExampleVariant -Example oauth2-client-credentials.json -Name $Name -Folder $Certificates.Folder -Edit {
            param ($definition)
            foreach ($key in $Extra.Keys) { $definition[$key] = $Extra[$key] }
        }
    }

    # Each test starts from the default options and an empty token cache (AfterEach in every Describe).
    function TlsBase([string] $Provider, [string] $Listener = 'Trusted') { $Tls.Https[$Listener] + $Provider.ToLowerInvariant() }
}

AfterAll {
    Set-TokenAuthOption -Reset
    Stop-TokenAuthTestProxy $Proxy
    Stop-TokenAuthTestProxy $AuthenticatingProxy
    Stop-TokenAuthEmulator $MutualTls
    Stop-TokenAuthEmulator $Tls
    Exit-TokenAuthTestSession -Session $Session
}

Describe 'HTTPS with a corporate CA' {
    AfterEach {
        Set-TokenAuthOption -Reset
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
    }

    It 'runs <Provider>''s flows over HTTPS, trusting the test CA from a PEM bundle as a corporate CA' -TestCases @(
        @{ Provider = 'Akiba' }, @{ Provider = 'Kitegateway' }, @{ Provider = 'Ankorstore' }, @{ Provider = 'CoreBanking' }, @{ Provider = 'APIMW' }
    ) {
        $info = Get-TokenAuthProvider $Provider
        Set-TokenAuthOption -CertificateBundle $Certificates.Bundle
        $base = TlsBase $Provider

        $token = Get-ProviderToken $Provider -BaseUri $base
        $answer = Invoke-AuthenticatedRequest $Provider -BaseUri $base -Uri resources/sample

        $token.BaseUri | Should -BeLike 'https://*'
        $answer.provider | Should -Be $Provider.ToLowerInvariant()
        Get-TokenAuthEmulatorCounter -Emulator $Tls -Key "$($Provider.ToLowerInvariant())/token" | Should -Be 1
        if ($info.WhoAmI -eq 'Endpoint') {
            (Get-WhoAmI $Provider -BaseUri $base).VerifiedByProvider | Should -BeTrue
            Get-TokenAuthEmulatorCounter -Emulator $Tls -Key "$($Provider.ToLowerInvariant())/whoami" | Should -Be 1
        }
        if ($info.Refresh) {
            $null = Get-ProviderToken $Provider -BaseUri $base -Force
            Get-TokenAuthEmulatorCounter -Emulator $Tls -Key "$($Provider.ToLowerInvariant())/refresh" | Should -Be 1
        }
        if ($info.Revoke) {
            (Revoke-ProviderToken $Provider -BaseUri $base -Confirm:$false).ProviderNotified | Should -BeTrue
            # One call for the token, and one before it for the refresh token where the provider renews with one (APIMW).
            Get-TokenAuthEmulatorCounter -Emulator $Tls -Key "$($Provider.ToLowerInvariant())/revoke" | Should -Be $(if ($info.Refresh) { 2 } else { 1 })
            [int] (Get-TokenAuthEmulatorCounter -Emulator $Tls -Key "$($Provider.ToLowerInvariant())/refresh-revoked") | Should -Be $(if ($info.Refresh) { 1 } else { 0 })
        }
    }

    It 'refuses the test CA''s certificate while nothing trusts it, with a named error saying what to do' {
        Reset-TokenAuthEmulator $Tls
        Get-ProviderToken APIMW -BaseUri (TlsBase APIMW) -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].FullyQualifiedErrorId | Should -Be 'CertificateUntrusted,TokenAuth.Commands.GetProviderTokenCommand'
        $failure[0].CategoryInfo.Category | Should -Be 'SecurityError'
        "$($failure[0])" | Should -Match "issued by 'TokenAuth Test CA', a certificate authority this machine does not trust"
        "$($failure[0])" | Should -Match 'Set-TokenAuthOption -CertificateBundle'
        Get-TokenAuthEmulatorCounter -Emulator $Tls -Key 'apimw/token' | Should -BeNullOrEmpty
    }

    It 'refuses <Listener>, even with the test CA trusted, as <Id>' -TestCases @(
        @{ Listener = 'WrongName'; Id = 'CertificateNameMismatch'; Says = 'presented a certificate for DNS:other.example, not for 127.0.0.1' }
        @{ Listener = 'Expired'; Id = 'CertificateExpired'; Says = 'expired on' }
        @{ Listener = 'Untrusted'; Id = 'CertificateUntrusted'; Says = 'is self-signed' }
    ) {
        Set-TokenAuthOption -CertificateBundle $Certificates.Bundle

        Invoke-AuthenticatedRequest APIMW -BaseUri (TlsBase APIMW $Listener) -Uri resources/sample -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].FullyQualifiedErrorId | Should -Be "$Id,TokenAuth.Commands.InvokeAuthenticatedRequestCommand"
        "$($failure[0])" | Should -Match ([regex]::Escape($Says))
    }

    It 'accepts any certificate with -SkipCertificateCheck, and warns that it does' {
        $answer = Invoke-AuthenticatedRequest APIMW -BaseUri (TlsBase APIMW 'Untrusted') -Uri resources/sample -SkipCertificateCheck -WarningVariable warnings -WarningAction SilentlyContinue

        $answer.provider | Should -Be 'apimw'
        $warnings | Should -HaveCount 1
        "$warnings" | Should -Match 'SkipCertificateCheck: any server certificate is accepted'
        # Only that call: the next one checks again.
        Get-ProviderToken APIMW -BaseUri (TlsBase APIMW 'Untrusted') -Force -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'CertificateUntrusted,*'
    }

    It 'trusts the CA a provider definition names (relative to the definition file) for that provider alone' {
        $null = Register-OAuth2Variant 'TrustingOAuth2' @{ trustedCertificates = 'ca.pem' }
        $null = Register-OAuth2Variant 'PlainOAuth2'

        $answer = Invoke-AuthenticatedRequest TrustingOAuth2 -BaseUri $Tls.Https.Trusted -Credential $OAuth2Credential -Uri oauth2/resources/sample
        Get-ProviderToken PlainOAuth2 -BaseUri $Tls.Https.Trusted -Credential $OAuth2Credential -ErrorVariable failure -ErrorAction SilentlyContinue

        $answer.identity | Should -Be $OAuth2Credential.UserName
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'CertificateUntrusted,*'
    }
}

Describe 'Session options' {
    AfterEach {
        Set-TokenAuthOption -Reset
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
    }

    It 'shows the defaults, takes changes that the next call uses, and resets' {
        $defaults = Get-TokenAuthOption
        Set-TokenAuthOption -TokenTimeoutSec 5 -RenewalMarginSec 120 -MaximumRetryCount 1 -CertificateBundle $Certificates.Bundle -Proxy 'http://ops:inline-pa55@127.0.0.1:3128'
        $changed = Get-TokenAuthOption
        $view = $changed | Format-List | Out-String
        Set-TokenAuthOption -Reset

        $defaults.Proxy | Should -Be 'System'
        $defaults.RenewalMarginSec | Should -BeNullOrEmpty
        $changed.TokenTimeoutSec | Should -Be 5
        $changed.RenewalMarginSec | Should -Be 120
        $changed.MaximumRetryCount | Should -Be 1
        $changed.Proxy | Should -Be 'http://127.0.0.1:3128/'
        $changed.ProxyUser | Should -Be 'ops'
        $changed.TrustedCertificates | Should -Be 1
        $view | Should -Match 'as ops'
        $view | Should -Not -Match 'inline-pa55'
        (Get-TokenAuthOption).Proxy | Should -Be 'System'
    }

    It 'changes nothing under -WhatIf' {
        Set-TokenAuthOption -TokenTimeoutSec 7 -Proxy 'http://127.0.0.1:3128' -WhatIf

        (Get-TokenAuthOption).TokenTimeoutSec | Should -Be 30
        (Get-TokenAuthOption).Proxy | Should -Be 'System'
    }

    It 'applies a changed timeout to the next call without touching cached tokens' {
        $null = Get-ProviderToken Akiba -BaseUri (Get-TokenAuthEmulatorBaseUri $Plain Akiba)
        Add-TokenAuthEmulatorFault -Emulator $Plain -Provider Akiba -Endpoint token -DelayOnly -DelayMilliseconds 3000
        Set-TokenAuthOption -TokenTimeoutSec 1

        $cached = Get-ProviderToken Akiba -BaseUri (Get-TokenAuthEmulatorBaseUri $Plain Akiba)
        Get-ProviderToken Akiba -BaseUri (Get-TokenAuthEmulatorBaseUri $Plain Akiba) -Force -ErrorVariable failure -ErrorAction SilentlyContinue

        $cached.FromCache | Should -BeTrue
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'ProviderTimeout,*'
        "$($failure[0])" | Should -Match 'within 1 s'
    }

    It 'refuses <Case> with a clear error' -TestCases @(
        @{ Case = 'a bundle that does not exist'; Arguments = @{ CertificateBundle = 'no-such-bundle.pem' }; Id = 'CertificateBundleUnusable'; Says = 'Cannot read the certificate bundle' }
        @{ Case = 'a bundle with no certificate'; Arguments = @{ CertificateBundle = '$Certificates.ClientKey' }; Id = 'CertificateBundleUnusable'; Says = 'holds no PEM certificate' }
        @{ Case = '-NoProxy with -Proxy'; Arguments = @{ NoProxy = $true; Proxy = 'http://127.0.0.1:3128' }; Id = 'InvalidRequest'; Says = '-NoProxy cannot go with -Proxy' }
        @{ Case = '-ProxyCredential without -Proxy'; Arguments = @{ ProxyCredential = 'cred' }; Id = 'InvalidRequest'; Says = '-ProxyCredential goes with -Proxy' }
    ) {
        if ($Arguments.CertificateBundle -eq '$Certificates.ClientKey') { $Arguments.CertificateBundle = $Certificates.ClientKey }
        if ($Arguments.ProxyCredential) { $Arguments.ProxyCredential = ConvertTo-TestCredential 'ops' 'x-unused-9' }

        { Set-TokenAuthOption @Arguments } | Should -Throw -ErrorId "$Id,TokenAuth.Commands.SetTokenAuthOptionCommand" -ExpectedMessage "*$Says*"
        (Get-TokenAuthOption).CertificateBundle | Should -BeNullOrEmpty
    }
}

Describe 'Through a real proxy' {
    # TokenAuth never sends loopback through a proxy: these calls name the emulator's TLS listener by the test proxies'
    # own name for it (.TestHost), which only they resolve, so every call that reaches the emulator went through one.
    BeforeAll {
        function ProxiedBase([string] $Provider) { "https://$($Proxy.TestHost):$(([uri] $Tls.Https.Trusted).Port)/$($Provider.ToLowerInvariant())" }
        function ProxiedConnect { "CONNECT $($Proxy.TestHost):$(([uri] $Tls.Https.Trusted).Port)" }
    }

    AfterEach {
        Set-TokenAuthOption -Reset
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
    }

    BeforeEach {
        if (-not $Proxy) { Set-ItResult -Skipped -Because $NoProxyReason }
        elseif (-not $Proxy.TestHost) { Set-ItResult -Skipped -Because 'the test proxy cannot resolve a name of its own here (it needs root and unshare for a mount namespace)' }
        Set-TokenAuthOption -CertificateBundle $Certificates.Bundle
        Reset-TokenAuthEmulator -Emulator $Tls
    }

    It 'sends the token call and the API call through -Proxy, tunnelled (CONNECT) to HTTPS' {
        $before = @(Get-TokenAuthTestProxyRequest $Proxy).Count

        $answer = Invoke-AuthenticatedRequest Akiba -BaseUri (ProxiedBase Akiba) -Uri resources/sample -Proxy $Proxy.Uri

        $answer.provider | Should -Be 'akiba'
        Get-TokenAuthTestProxyRequest $Proxy | Select-Object -Skip $before | Should -Contain (ProxiedConnect)
        Get-TokenAuthEmulatorCounter -Emulator $Tls -Key 'akiba/token' | Should -Be 1
    }

    It 'sends every call of the session through the proxy Set-TokenAuthOption names: token, who-am-I, request, revoke' {
        Set-TokenAuthOption -Proxy $Proxy.Uri
        $base = ProxiedBase Akiba

        $null = Get-WhoAmI Akiba -BaseUri $base
        $null = Invoke-AuthenticatedRequest Akiba -BaseUri $base -Uri resources/sample
        $revoked = Revoke-ProviderToken Akiba -BaseUri $base -Confirm:$false

        $revoked.ProviderNotified | Should -BeTrue
        # Each call reached the emulator by a name only the proxy resolves: it went through the proxy (through a tunnel
        # an earlier call may have opened, since connections are pooled, so the proxy's log need not grow).
        foreach ($endpoint in 'token', 'whoami', 'revoke') { Get-TokenAuthEmulatorCounter -Emulator $Tls -Key "akiba/$endpoint" | Should -Be 1 -Because "the $endpoint call went through the proxy" }
    }

    It 'takes no proxy from a piped object''s properties: only the command line names one' {
        Set-TokenAuthOption -Proxy $Proxy.Uri
        $closed = "http://127.0.0.1:$(Get-TokenAuthFreePort)/"
        $piped = [pscustomobject]@{ Provider = 'APIMW'; Uri = 'resources/sample'; Proxy = $closed; NoProxy = $true; SkipCertificateCheck = $true }

        $answer = $piped | Invoke-AuthenticatedRequest -BaseUri (ProxiedBase APIMW)

        $answer.provider | Should -Be 'apimw' -Because 'the session''s proxy carried it, not the piped one, nor none'
    }

    It 'goes straight to the provider with -NoProxy when the session names a proxy' {
        $before = @(Get-TokenAuthTestProxyRequest $Proxy).Count
        $script = "Set-TokenAuthOption -Proxy '$($Proxy.Uri)' -CertificateBundle '$($Certificates.Bundle)'; " +
            "(Invoke-AuthenticatedRequest APIMW -BaseUri '$(ProxiedBase APIMW)' -Credential ($(Get-ApimwCredentialScript)) -Uri resources/sample -NoProxy).provider"

        $answer = Invoke-TokenAuthFreshPwsh $script -Through $Proxy.Resolving

        $answer | Should -Be 'apimw'
        @(Get-TokenAuthTestProxyRequest $Proxy).Count | Should -Be $before
    }

    It 'uses the system proxy from HTTPS_PROXY, and honours NO_PROXY' {
        $script = "Set-TokenAuthOption -CertificateBundle '$($Certificates.Bundle)'; " +
            "(Invoke-AuthenticatedRequest APIMW -BaseUri '$(ProxiedBase APIMW)' -Credential ($(Get-ApimwCredentialScript)) -Uri resources/sample).provider"
        $before = @(Get-TokenAuthTestProxyRequest $Proxy).Count

        $proxied = Invoke-TokenAuthFreshPwsh $script -Through $Proxy.Resolving -Environment @{ HTTP_PROXY = $Proxy.Uri; HTTPS_PROXY = $Proxy.Uri; NO_PROXY = '' }
        $afterProxied = @(Get-TokenAuthTestProxyRequest $Proxy).Count
        $bypassed = Invoke-TokenAuthFreshPwsh $script -Through $Proxy.Resolving -Environment @{ HTTP_PROXY = $Proxy.Uri; HTTPS_PROXY = $Proxy.Uri; NO_PROXY = $Proxy.TestHost }

        $proxied | Should -Be 'apimw'
        $bypassed | Should -Be 'apimw'
        Get-TokenAuthTestProxyRequest $Proxy | Select-Object -Skip $before | Should -Be (ProxiedConnect)
        @(Get-TokenAuthTestProxyRequest $Proxy).Count | Should -Be $afterProxied
    }

    It 'passes a proxy that demands Basic credentials with -ProxyCredential' {
        $before = @(Get-TokenAuthTestProxyRequest $AuthenticatingProxy).Count

        $answer = Invoke-AuthenticatedRequest Akiba -BaseUri (ProxiedBase Akiba) -Uri resources/sample -Proxy $AuthenticatingProxy.Uri -ProxyCredential (ConvertTo-TestCredential 'ops' $ProxyPassword)

        $answer.provider | Should -Be 'akiba'
        Get-TokenAuthTestProxyRequest $AuthenticatingProxy | Select-Object -Skip $before | Should -Contain (ProxiedConnect)
    }

    It 'names a 407 (<Case>) as ProxyAuthenticationRequired, with the proxy and never its password' -TestCases @(
        @{ Case = 'no credentials'; Password = $null }
        @{ Case = 'a wrong password'; Password = 'wrong-proxy-pa55-7' }
    ) {
        $arguments = @{ Proxy = $AuthenticatingProxy.Uri }
        if ($Password) { $arguments.ProxyCredential = ConvertTo-TestCredential 'ops' $Password }

        $text = Get-TokenAuthAllStream { Get-ProviderToken APIMW -BaseUri (ProxiedBase APIMW) @arguments -Verbose -Debug -ErrorAction Continue }
        Get-ProviderToken APIMW -BaseUri (ProxiedBase APIMW) @arguments -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].FullyQualifiedErrorId | Should -Be 'ProxyAuthenticationRequired,TokenAuth.Commands.GetProviderTokenCommand'
        $failure[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        "$($failure[0])" | Should -Match ([regex]::Escape("The proxy $($AuthenticatingProxy.Uri)"))
        $text | Should -Match 'ProxyCredential'
        if ($Password) { $text | Should -Not -Match $Password }
        $text | Should -Not -Match $ProxyPassword
    }

    It 'answers the proxy with the logged-on user''s credentials on -ProxyUseDefaultCredentials, and names their refusal' {
        # Default credentials are Kerberos or NTLM; a proxy that asks for Basic (tinyproxy) refuses them.
        Get-ProviderToken APIMW -BaseUri (ProxiedBase APIMW) -Proxy $AuthenticatingProxy.Uri -ProxyUseDefaultCredentials -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].FullyQualifiedErrorId | Should -BeLike 'ProxyAuthenticationRequired,*'
        "$($failure[0])" | Should -Match 'refused the default credentials'
    }

    It 'refuses a proxy address that is not one without showing the password written in it' {
        $failure = $null
        try { Get-ProviderToken APIMW -BaseUri (Get-TokenAuthEmulatorBaseUri $Plain APIMW) -Proxy 'ops:pa55-in-bad-uri@proxy.example:3128' }
        catch { $failure = $_ }

        $failure.FullyQualifiedErrorId | Should -Be 'InvalidRequest,TokenAuth.Commands.GetProviderTokenCommand'
        "$failure" | Should -Match 'not an absolute http:// or https:// URI'
        "$failure $($failure.Exception) $($failure.ErrorDetails)" | Should -Not -Match 'pa55-in-bad-uri'
        $failure.TargetObject | Should -BeNullOrEmpty
    }

    It 'names a proxy that cannot be reached' {
        $closed = "http://127.0.0.1:$(Get-TokenAuthFreePort)/"
        Set-TokenAuthOption -MaximumRetryCount 0

        Get-ProviderToken APIMW -BaseUri (ProxiedBase APIMW) -Proxy $closed -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].FullyQualifiedErrorId | Should -BeLike 'ProxyUnreachable,*'
        "$($failure[0])" | Should -Match "through the proxy $([regex]::Escape($closed))"
    }
}

Describe 'Mutual TLS' {
    AfterEach {
        Set-TokenAuthOption -Reset
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
    }

    BeforeAll {
        Set-TokenAuthOption -CertificateBundle $Certificates.Bundle
        $script:MutualBase = $MutualTls.Https.Trusted
    }

    BeforeEach {
        Set-TokenAuthOption -CertificateBundle $Certificates.Bundle
    }

    It 'is refused without a client certificate, with a named error' {
        $null = Register-OAuth2Variant 'NoCertificateOAuth2'

        Get-ProviderToken NoCertificateOAuth2 -BaseUri $MutualBase -Credential $OAuth2Credential -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].FullyQualifiedErrorId | Should -Be 'ClientCertificateRequired,TokenAuth.Commands.GetProviderTokenCommand'
        "$($failure[0])" | Should -Match 'requires a client certificate'
        "$($failure[0])" | Should -Match '-Certificate'
    }

    It 'is accepted with the certificate from a real SecretStore vault, for the token and the API alike' -Skip:(-not (Get-Module -ListAvailable Microsoft.PowerShell.SecretStore)) {
        $definition = Register-OAuth2Variant 'VaultCertificateOAuth2' @{ trustedCertificates = 'ca.pem'; clientCertificate = @{ secretName = 'OAuth2.ClientPfx'; passwordSecretName = 'OAuth2.ClientPfxPassword' } }
        $script = (Get-TokenAuthSecretStoreScript) +
            (Get-TokenAuthPfxSecretScript -Certificates $Certificates -PfxSecret OAuth2.ClientPfx -UnlockSecret OAuth2.ClientPfxPassword) +
            "Set-Secret -Name TokenAuth.VaultCertificateOAuth2 -Secret ($(Get-TokenAuthCredentialScript $Session.Credentials.oauth2)); " +
            "`$null = Register-TokenAuthProvider '$definition'; " +
            "(Invoke-AuthenticatedRequest VaultCertificateOAuth2 -BaseUri '$MutualBase' -Uri oauth2/resources/sample -Verbose -Debug *>&1 | ForEach-Object { `"`$_`" })"
        $output = Invoke-TokenAuthFreshPwsh $script -IsolatedHome (Join-Path $TestDrive 'store-home')
        $text = $output -join "`n"

        $LASTEXITCODE | Should -Be 0
        $text | Should -Match "identity\s*=?\s*:?\s*$($OAuth2Credential.UserName)|$($OAuth2Credential.UserName)"
        $text | Should -Not -Match 'ClientCertificateRequired|ClientCertificateRefused'
        $text | Should -Not -Match $Certificates.Password
        $text | Should -Not -Match 'PRIVATE KEY'
        Get-TokenAuthEmulatorCounter -Emulator $MutualTls -Key 'oauth2/token' | Should -BeGreaterOrEqual 1
        Get-TokenAuthEmulatorCounter -Emulator $MutualTls -Key 'oauth2/sample' | Should -BeGreaterOrEqual 1
    }

    It 'is accepted with a PEM certificate and key file pair named in the definition' {
        $null = Register-OAuth2Variant 'PemCertificateOAuth2' @{ clientCertificate = @{ certificateFile = 'client.pem'; keyFile = 'client.key' } }

        $answer = Invoke-AuthenticatedRequest PemCertificateOAuth2 -BaseUri $MutualBase -Credential $OAuth2Credential -Uri oauth2/resources/sample

        $answer.identity | Should -Be $OAuth2Credential.UserName
    }

    It 'names a certificate the server does not accept, and never hands one certificate''s token to another' {
        $null = Register-OAuth2Variant 'PerCertificateOAuth2'
        $otherClient = $Certificates.OtherClient
        $tokensBefore = Get-TokenAuthEmulatorCounter -Emulator $MutualTls -Key 'oauth2/token'

        $first = Get-ProviderToken PerCertificateOAuth2 -BaseUri $MutualBase -Credential $OAuth2Credential -Certificate $Certificates.Client
        $again = Get-ProviderToken PerCertificateOAuth2 -BaseUri $MutualBase -Credential $OAuth2Credential -Certificate $Certificates.Client
        $text = Get-TokenAuthAllStream { Get-ProviderToken PerCertificateOAuth2 -BaseUri $MutualBase -Credential $OAuth2Credential -Certificate $otherClient -Verbose -ErrorAction Continue }
        Get-ProviderToken PerCertificateOAuth2 -BaseUri $MutualBase -Credential $OAuth2Credential -Certificate $otherClient -ErrorVariable failure -ErrorAction SilentlyContinue

        $again.FromCache | Should -BeTrue
        $first.ExpiresOn | Should -Be $again.ExpiresOn
        $failure[0].FullyQualifiedErrorId | Should -Be 'ClientCertificateRefused,TokenAuth.Commands.GetProviderTokenCommand'
        "$($failure[0])" | Should -Match $otherClient.Thumbprint
        $text | Should -Not -Match 'PRIVATE KEY'
        # Two token requests for the other certificate (above, and the -ErrorVariable call) reached the server's check, and were refused there.
        Get-TokenAuthEmulatorCounter -Emulator $MutualTls -Key 'oauth2/client-certificate-refused' | Should -Be 2
        Get-TokenAuthEmulatorCounter -Emulator $MutualTls -Key 'oauth2/token' | Should -Be ($tokensBefore + 1)
    }

    It 'is accepted with the certificate a definition names by thumbprint in the user''s certificate store' {
        $definition = Register-OAuth2Variant 'StoreCertificateOAuth2' @{ trustedCertificates = 'ca.pem'; clientCertificate = @{ thumbprint = $Certificates.Client.Thumbprint } }
        $script = "`$store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser'); `$store.Open('ReadWrite'); " +
            "`$store.Add([System.Security.Cryptography.X509Certificates.X509Certificate2]::new('$($Certificates.ClientPfx)', '$($Certificates.Password)', 'PersistKeySet')); `$store.Dispose(); " +
            "`$null = Register-TokenAuthProvider '$definition'; " +
            "(Invoke-AuthenticatedRequest StoreCertificateOAuth2 -BaseUri '$MutualBase' -Credential ($(Get-TokenAuthCredentialScript $Session.Credentials.oauth2)) -Uri oauth2/resources/sample).identity"

        $output = Invoke-TokenAuthFreshPwsh $script -IsolatedHome (Join-Path $TestDrive 'certificate-store-home')

        $LASTEXITCODE | Should -Be 0
        $output | Should -Be $OAuth2Credential.UserName
    }

    It 'reads a definition''s certificate once a session, and again after Revoke-ProviderToken -All' {
        $folder = Join-Path $Certificates.Folder 'rotating'
        $null = New-Item -ItemType Directory -Path $folder -Force
        Copy-Item $Certificates.ClientPem (Join-Path $folder 'client.pem')
        Copy-Item $Certificates.ClientKey (Join-Path $folder 'client.key')
        $null = Register-OAuth2Variant 'RotatingOAuth2' @{ clientCertificate = @{ certificateFile = 'rotating/client.pem'; keyFile = 'rotating/client.key' } }
        $null = Get-ProviderToken RotatingOAuth2 -BaseUri $MutualBase -Credential $OAuth2Credential
        # The files now hold a certificate the server does not accept.
        $other = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certificates.OtherClientPfx, $Certificates.Password, 'Exportable')
        Set-Content (Join-Path $folder 'client.pem') $other.ExportCertificatePem()
        Set-Content (Join-Path $folder 'client.key') ([System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($other).ExportPkcs8PrivateKeyPem())

        $cached = Get-ProviderToken RotatingOAuth2 -BaseUri $MutualBase -Credential $OAuth2Credential -Force
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
        Get-ProviderToken RotatingOAuth2 -BaseUri $MutualBase -Credential $OAuth2Credential -ErrorVariable failure -ErrorAction SilentlyContinue

        $cached.Provider | Should -Be 'RotatingOAuth2'
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'ClientCertificateRefused,*'
        "$($failure[0])" | Should -Match $other.Thumbprint
    }

    It 'refuses a -Certificate without its private key before anything is sent' {
        $null = Register-OAuth2Variant 'KeylessOAuth2'
        $publicOnly = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certificates.Client.RawData)

        Get-ProviderToken KeylessOAuth2 -BaseUri $MutualBase -Credential $OAuth2Credential -Certificate $publicOnly -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].FullyQualifiedErrorId | Should -Be 'ClientCertificateUnusable,TokenAuth.Commands.GetProviderTokenCommand'
        "$($failure[0])" | Should -Match 'has no private key'
    }
}

Describe 'The nightly sync example behind a TLS-inspecting proxy' {
    It 'trusts the corporate CA given to -CertificateBundle' {
        $output = Join-Path $TestDrive 'payments.jsonl'
        $credential = Get-ApimwCredentialScript
        $script = "`$PSDefaultParameterValues['Invoke-AuthenticatedRequest:Credential'] = $credential; " +
            "& '$PSScriptRoot/../../examples/Invoke-NightlySync.ps1' -Provider APIMW -BaseUri '$(TlsBase APIMW)' -Uri 'resources/pages/link?pages=2&size=3' " +
            "-OutputPath '$output' -CertificateBundle '$($Certificates.Bundle)'; exit `$LASTEXITCODE"

        $lines = Invoke-TokenAuthFreshPwsh $script

        $LASTEXITCODE | Should -Be 0 -Because ($lines -join "`n")
        (Get-Content $output | ConvertFrom-Json).id | Should -Be (1..6)
    }
}
