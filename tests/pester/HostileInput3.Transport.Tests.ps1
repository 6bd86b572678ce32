# Issue 28, the transport points: what a hostile server, a proxy or a redirect can get out of a call, each proven
# through the cmdlets against the emulator or a small hostile server on loopback that logs what reached it.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'Test values: the emulator''s demo credentials.')]
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'Test helpers starting and stopping a throwaway server: nothing to confirm.')]
param ()

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json')
    $script:Emulator = $Session.Emulator
    $script:OAuth2 = $Session.Credentials.oauth2

    # A raw HTTP/1.1 server on loopback, in a runspace of its own: it answers each path from -Routes (a status line's
    # code and reason, headers and a body; '{Root}' in them becomes its own root URI; a 401 instead when the route names
    # an Authorization header value that did not come) and logs every request it got
    # (request line, headers, body, and the client certificate presented, over TLS with -Certificate and -AskClientCertificate).
    function Start-HostileServer([hashtable] $Routes, [System.Security.Cryptography.X509Certificates.X509Certificate2] $Certificate, [switch] $AskClientCertificate) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $root = "$(if ($Certificate) { 'https' } else { 'http' })://127.0.0.1:$($listener.LocalEndpoint.Port)/"
        $requests = [System.Collections.Concurrent.ConcurrentQueue[psobject]]::new()
        $shell = [powershell]::Create()
        $null = $shell.AddScript({
            param ($Listener, $Routes, $Requests, $Root, $Certificate, $AskClientCertificate)
            while ($true) {
                try { $client = $Listener.AcceptTcpClient() } catch { return }
                try {
                    $stream = $client.GetStream()
                    $presented = $null
                    if ($Certificate) {
                        $tls = [System.Net.Security.SslStream]::new($stream, $false, [System.Net.Security.RemoteCertificateValidationCallback] { $true })
                        $tls.AuthenticateAsServer($Certificate, [bool] $AskClientCertificate, [System.Security.Authentication.SslProtocols]::None, $false)
                        $presented = $tls.RemoteCertificate
                        $stream = $tls
                    }
                    $bytes = [System.Collections.Generic.List[byte]]::new()
                    $buffer = [byte[]]::new(8192)
                    $text = ''
                    while (($end = $text.IndexOf("`r`n`r`n")) -lt 0) {
                        $read = $stream.Read($buffer, 0, $buffer.Length)
                        if ($read -le 0) { break }
                        $bytes.AddRange([byte[]] $buffer[0..($read - 1)])
                        $text = [System.Text.Encoding]::Latin1.GetString($bytes.ToArray())
                    }
                    if ($end -lt 0) { continue }
                    $head = $text.Substring(0, $end) -split "`r`n"
                    $headers = @{}
                    foreach ($line in $head | Select-Object -Skip 1) { $name, $value = $line -split ':\s*', 2; $headers[$name] = $value }
                    $length = [int] $headers['Content-Length']
                    while ($bytes.Count - $end - 4 -lt $length) {
                        $read = $stream.Read($buffer, 0, $buffer.Length)
                        if ($read -le 0) { break }
                        $bytes.AddRange([byte[]] $buffer[0..($read - 1)])
                    }
                    $body = [System.Text.Encoding]::UTF8.GetString($bytes.ToArray(), $end + 4, $bytes.Count - $end - 4)
                    $method, $target, $null = $head[0] -split " "
                    $path = ([uri]::new([uri] $Root, $target)).AbsolutePath
                    $Requests.Enqueue([pscustomobject]@{ Method = $method; Path = $path; Target = $target; Headers = $headers; Body = $body; ClientCertificate = $presented })
                    $route = $Routes[$path]
                    if (-not $route) { $route = @{ Status = 404; Reason = 'Not Found'; Body = '{"error":"not_found"}' } }
                    elseif ($route.Authorization -and $headers['Authorization'] -ne $route.Authorization) { $route = @{ Status = 401; Reason = 'Unauthorized'; Body = '{"error":"unauthenticated"}' } }
                    $answerBody = [System.Text.Encoding]::UTF8.GetBytes("$($route.Body)".Replace('{Root}', $Root))
                    $answer = "HTTP/1.1 $($route.Status) $($route.Reason)`r`nContent-Type: application/json`r`nContent-Length: $($answerBody.Length)`r`nConnection: close`r`n"
                    if ($route.Headers) { foreach ($name in $route.Headers.Keys) { $answer += "${name}: $($route.Headers[$name].Replace('{Root}', $Root))`r`n" } }
                    $answerHead = [System.Text.Encoding]::Latin1.GetBytes("$answer`r`n")
                    $stream.Write($answerHead, 0, $answerHead.Length)
                    $stream.Write($answerBody, 0, $answerBody.Length)
                    $stream.Flush()
                }
                catch { $null = $_ }
                finally { $client.Dispose() }
            }
        }).AddArgument($listener).AddArgument($Routes).AddArgument($requests).AddArgument($root).AddArgument($Certificate).AddArgument([bool] $AskClientCertificate)
        $null = $shell.BeginInvoke()
        [pscustomobject]@{ Root = $root; Requests = $requests; Listener = $listener; Shell = $shell }
    }

    function Stop-HostileServer($Server) {
        if ($Server) { $Server.Listener.Stop(); $Server.Shell.Dispose() }
    }

    # A token endpoint's answer, for a definition whose token path is the hostile server's.
    $script:TokenAnswer = @{ Status = 200; Reason = 'OK'; Body = '{"access_token":"hostile-issued-token-7f3a","token_type":"Bearer","expires_in":3600}' }

    # A client-credentials definition for the hostile server (or any base URI), with more fields.
    function Register-HostileDefinition([string] $Name, [string] $BaseUri, [hashtable] $Extra = @{}) {
        $definition = @{
            name = $Name; environments = @{ Hostile = $BaseUri }; defaultEnvironment = 'Hostile'; credential = @{ fields = @('ClientId', 'ClientSecret') }
            token = @{ path = '/token'; encoding = 'Form'; fields = @{ grant_type = 'client_credentials'; client_id = '{ClientId}'; client_secret = '{ClientSecret}' } }
            tokenResponse = @{ accessToken = 'access_token'; tokenType = 'token_type'; expiry = @(@{ path = 'expires_in'; format = 'SecondsFromNow' }); defaultLifetimeSeconds = 300 }
            authorization = @{ scheme = 'Bearer' }
        }
        foreach ($key in $Extra.Keys) { $definition[$key] = $Extra[$key] }
        $file = Join-Path $TestDrive "$Name.json"
        $definition | ConvertTo-Json -Depth 6 | Set-Content $file
        $null = Register-TokenAuthProvider -Path $file -ErrorAction Stop
        $file
    }

    $script:HostileCredential = [pscredential]::new('hostile-client', (ConvertTo-SecureString 'hostile-client-secret-91c2' -AsPlainText -Force))

    # An emulator over TLS: Trusted with the throwaway test CA's certificate, Untrusted with a self-signed one; its OAuth2
    # server trusts an Azure Pipelines service connection's OIDC token, which its /azure-devops/oidctoken issues.
    $script:Certificates = New-TokenAuthTestCertificate -Path (Join-Path $TestDrive 'certificates')
    $script:ServiceConnection = '6f3c1b0e-2b7a-4c1e-9d7e-0a1b2c3d4e5f'
    $script:Tls = Start-TokenAuthEmulator -Https @{ Trusted = $Certificates.Server; Untrusted = $Certificates.Untrusted } -ArgumentList '--federated-credential',
        "demo-federated-client=sc://tokenauth/emulator/$ServiceConnection"
    $script:SystemAccessToken = 'emulator-azure-pipelines-system-access-token'
}

AfterAll {
    Set-TokenAuthOption -Reset
    Stop-TokenAuthEmulator $Tls
    Exit-TokenAuthTestSession -Session $Session
}

Describe 'Hostile input, part three: transport' {
    AfterEach {
        Set-TokenAuthOption -Reset
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
    }

    Describe '10. A server''s reason phrase is shown printable' {
        It 'Verbose shows a reason phrase with escape sequences without its control characters' {
            $server = Start-HostileServer -Routes @{
                '/token' = $TokenAnswer
                '/data'  = @{ Status = 200; Reason = "OK`e[2J`e]0;owned`a"; Body = '{"ok":true}' }
            }
            try {
                $null = Register-HostileDefinition -Name ReasonHostile -BaseUri $server.Root

                $lines = @(Invoke-AuthenticatedRequest ReasonHostile -Uri data -Credential $HostileCredential -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })

                $shown = ($lines | ForEach-Object Message) -join "`n"
                $shown | Should -Match 'GET .*/data: HTTP 200 OK \[2J \]0;owned  in'
                $shown | Should -Not -Match "`e" -Because 'an escape sequence from a server must not reach the terminal'
                $shown | Should -Not -Match "`a"
            }
            finally { Stop-HostileServer $server }
        }
    }

    Describe '1. The pipeline''s OIDC endpoint gets the pipeline''s trust, not the provider''s' {
        BeforeAll {
            # The federated example, renamed, trusting the test CA for the provider alone.
            $null = Register-TokenAuthExampleVariant -Example oauth2-federated.json -Name TrustingFederated -Folder $Certificates.Folder -Edit {
                param ($definition)
                $definition.trustedCertificates = 'ca.pem'
            }
            function Get-PipelineToken([string] $Listener, [switch] $SkipCertificateCheck) {
                $pipeline = @{ SYSTEM_OIDCREQUESTURI = "$($Tls.Https[$Listener])azure-devops/oidctoken"; SYSTEM_ACCESSTOKEN = $SystemAccessToken }
                $script:PipelineFailures = @()
                Use-TokenAuthEnvironment $pipeline {
                    try {
                        Get-ProviderToken TrustingFederated -BaseUri $Tls.Https[$Listener] -ClientId demo-federated-client -ClientAssertion "AzureDevOps:$ServiceConnection" `
                            -SkipCertificateCheck:$SkipCertificateCheck -WarningAction SilentlyContinue -ErrorAction Stop
                    }
                    catch { $script:PipelineFailures = @($_) }
                }
            }
        }
        BeforeEach { Reset-TokenAuthEmulator -Emulator $Tls }

        It 'does not send SYSTEM_ACCESSTOKEN to an endpoint only the provider''s <Case> vouches for, and names that endpoint' -ForEach @(
            @{ Case = 'trustedCertificates'; Listener = 'Trusted'; Skip = $false; Says = 'a certificate authority this machine does not trust' }
            @{ Case = '-SkipCertificateCheck'; Listener = 'Untrusted'; Skip = $true; Says = 'is self-signed' }
        ) {
            $token = Get-PipelineToken $Listener -SkipCertificateCheck:$Skip

            $token | Should -BeNullOrEmpty
            Get-TokenAuthEmulatorCounter -Emulator $Tls -Key 'azure-devops/oidctoken' | Should -BeNullOrEmpty -Because 'the pipeline''s bearer token must not reach that endpoint'
            $PipelineFailures[0].FullyQualifiedErrorId | Should -BeLike 'CertificateUntrusted,*'
            $message = "$($PipelineFailures[0].Exception.Message)"
            $message | Should -Match ([regex]::Escape("the pipeline's OIDC endpoint at $($Tls.Https[$Listener])azure-devops/oidctoken"))
            $message | Should -Match $Says
            $message | Should -Not -Match 'trustedCertificates|SkipCertificateCheck' -Because 'neither applies to the pipeline''s endpoint'
            $message | Should -Not -Match $SystemAccessToken
        }

        It 'trusts the session''s own bundle (Set-TokenAuthOption -CertificateBundle) for the pipeline''s endpoint' {
            Set-TokenAuthOption -CertificateBundle $Certificates.Bundle

            $token = Get-PipelineToken Trusted

            $PipelineFailures | Should -BeNullOrEmpty
            $token.Provider | Should -Be 'TrustingFederated'
            Get-TokenAuthEmulatorCounter -Emulator $Tls -Key 'azure-devops/oidctoken' | Should -Be 1
        }
    }

    Describe '1. A token got with -SkipCertificateCheck is not sent unchecked later' {
        BeforeAll { $script:UntrustedAkiba = $Tls.Https.Untrusted + 'akiba' }
        BeforeEach {
            Reset-TokenAuthEmulator -Emulator $Tls
            $script:SkippedToken = Get-ProviderToken Akiba -BaseUri $UntrustedAkiba -SkipCertificateCheck -WarningAction SilentlyContinue
        }

        It 'Revoke-ProviderToken <Case> checks the certificate unless -SkipCertificateCheck is given again' -ForEach @(
            @{ Case = 'from Get-ProviderTokenCache'; Revoke = { Get-ProviderTokenCache -Provider Akiba | Revoke-ProviderToken -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue; $failures } }
            @{ Case = 'by name'; Revoke = { Revoke-ProviderToken Akiba -BaseUri $UntrustedAkiba -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue; $failures } }
            @{ Case = 'piped as a token'; Revoke = { $SkippedToken | Revoke-ProviderToken -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue; $failures } }
        ) {
            $cached = @(Get-ProviderTokenCache -Provider Akiba)

            $output = @(& $Revoke)
            $unchecked = Get-TokenAuthEmulatorCounter -Emulator $Tls -Key 'akiba/revoke'
            $null = $cached | Revoke-ProviderToken -Confirm:$false -SkipCertificateCheck -WarningAction SilentlyContinue

            $cached.Count | Should -Be 1
            $unchecked | Should -BeNullOrEmpty -Because 'the token must not go over an unchecked connection the caller did not ask for again'
            @($output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })[0].FullyQualifiedErrorId | Should -BeLike 'CertificateUntrusted,*'
            Get-TokenAuthEmulatorCounter -Emulator $Tls -Key 'akiba/revoke' | Should -Be 1 -Because 'given again, the flag lets the revocation through'
        }

        It 'a token got with -Certificate is revoked <Case> presenting that certificate again' -ForEach @(
            @{ Case = 'piped as a token'; FromCache = $false }
            @{ Case = 'from Get-ProviderTokenCache'; FromCache = $true }
        ) {
            $server = Start-HostileServer -Routes @{ '/token' = $TokenAnswer; '/revoke' = @{ Status = 200; Reason = 'OK'; Body = '{}' } } -AskClientCertificate `
                -Certificate ([System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certificates.Server, $Certificates.Password))
            try {
                $null = Register-HostileDefinition -Name RevokedWithCertificate -BaseUri $server.Root -Extra @{
                    trustedCertificates = $Certificates.Bundle
                    revoke              = @{ path = '/revoke'; encoding = 'Form'; fields = @{ token = '{AccessToken}' } }
                }
                $token = Get-ProviderToken RevokedWithCertificate -Credential $HostileCredential -Certificate $Certificates.Client

                $revoked = if ($FromCache) { Get-ProviderTokenCache -Provider RevokedWithCertificate | Revoke-ProviderToken -Confirm:$false } else { $token | Revoke-ProviderToken -Confirm:$false }

                $revoked.ProviderNotified | Should -BeTrue
                @($server.Requests | Where-Object Path -EQ '/revoke')[0].ClientCertificate.Thumbprint | Should -Be $Certificates.Client.Thumbprint
            }
            finally { Stop-HostileServer $server }
        }
    }

    Describe '7. Off the provider''s origin a redirected call carries neither its client certificate nor its private CA' {
        BeforeAll {
            # The standard OAuth2 example, renamed, trusting the test CA for the provider alone.
            $null = Register-TokenAuthExampleVariant -Example oauth2-client-credentials.json -Name PrivateCaOAuth2 -Folder $Certificates.Folder -Edit {
                param ($definition)
                $definition.trustedCertificates = 'ca.pem'
            }
            $script:OAuth2Credential = [pscredential]::new($OAuth2.clientId, (ConvertTo-SecureString $OAuth2.clientSecret -AsPlainText -Force))
            # Another origin with a certificate from the same test CA, asking every client for its certificate.
            $script:Elsewhere = Start-HostileServer -Routes @{ '/landing' = @{ Status = 200; Reason = 'OK'; Body = '{"landed":true}' } } `
                -Certificate ([System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certificates.Server, $Certificates.Password)) -AskClientCertificate
            function Invoke-RedirectedAway {
                $away = [uri]::EscapeDataString("$($Elsewhere.Root)landing")
                Invoke-AuthenticatedRequest PrivateCaOAuth2 -BaseUri $Tls.Https.Trusted -Credential $OAuth2Credential -Certificate $Certificates.Client `
                    -Uri "oauth2/resources/redirect?to=$away" -ErrorVariable failures -ErrorAction SilentlyContinue
                $script:RedirectFailures = $failures
            }
        }
        AfterAll { Stop-HostileServer $Elsewhere }
        BeforeEach { $Elsewhere.Requests.Clear() }

        It 'the provider''s own CA does not vouch for the other origin: the call is refused there as untrusted' {
            $answer = Invoke-RedirectedAway

            $answer | Should -BeNullOrEmpty
            $RedirectFailures[0].FullyQualifiedErrorId | Should -BeLike 'CertificateUntrusted,*'
            "$($RedirectFailures[0].Exception.Message)" | Should -Match ([regex]::Escape("$($Elsewhere.Root)landing"))
            "$($RedirectFailures[0].Exception.Message)" | Should -Match 'A redirect led away from PrivateCaOAuth2''s origin'
            $Elsewhere.Requests.Count | Should -Be 0 -Because 'nothing may be sent to a host only the provider''s CA vouches for'
        }

        It 'trusted by the session''s own bundle, the other origin is reached without the client certificate' {
            Set-TokenAuthOption -CertificateBundle $Certificates.Bundle

            $answer = Invoke-RedirectedAway

            $RedirectFailures | Should -BeNullOrEmpty
            $answer.landed | Should -BeTrue
            $Elsewhere.Requests.Count | Should -Be 1
            $request = @($Elsewhere.Requests)[0]
            $request.ClientCertificate | Should -BeNullOrEmpty -Because 'the client certificate is for the provider alone'
            $request.Headers.Keys | Should -Not -Contain 'Authorization'
        }
    }

    Describe '13. A private_key_jwt definition may ask for the SHA-1 x5t header' {
        BeforeAll {
            $script:JwtServer = Start-HostileServer -Routes @{ '/token' = $TokenAnswer }
            function ConvertFrom-Base64Url([string] $Part) {
                $base64 = $Part.Replace('-', '+').Replace('_', '/')
                [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($base64.PadRight($base64.Length + (4 - $base64.Length % 4) % 4, '=')))
            }
            function ConvertTo-Base64Url([byte[]] $Bytes) { [Convert]::ToBase64String($Bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
        }
        AfterAll { Stop-HostileServer $JwtServer }

        It 'thumbprint <Thumbprint> puts <Headers> in the assertion''s header' -ForEach @(
            @{ Thumbprint = 'Sha1'; Headers = 'x5t alone' }
            @{ Thumbprint = 'Both'; Headers = 'x5t and x5t#S256' }
        ) {
            $name = "Jwt$Thumbprint"
            $null = Register-HostileDefinition -Name $name -BaseUri $JwtServer.Root -Extra @{
                credential        = @{ fields = @('ClientId') }
                token             = @{ path = '/token'; encoding = 'Form'; clientAuthentication = 'PrivateKeyJwt'; fields = @{ grant_type = 'client_credentials' }
                    assertion = @{ thumbprint = $Thumbprint } }
                clientCertificate = @{ certificateFile = $Certificates.ClientPem; keyFile = $Certificates.ClientKey }
            }
            $JwtServer.Requests.Clear()

            $token = Get-ProviderToken $name -ClientId jwt-client

            $token.Provider | Should -Be $name
            $form = @{}
            foreach ($pair in @($JwtServer.Requests)[0].Body -split '&') { $key, $value = $pair -split '=', 2; $form[$key] = [uri]::UnescapeDataString($value) }
            $header = ConvertFrom-Base64Url ($form.client_assertion -split '\.')[0] | ConvertFrom-Json -AsHashtable
            $header.x5t | Should -Be (ConvertTo-Base64Url $Certificates.Client.GetCertHash())
            $header.ContainsKey('x5t#S256') | Should -Be ($Thumbprint -eq 'Both')
        }
    }

    Describe '12. A definition''s trustedOrigins: the token follows a redirect there, and only there' {
        BeforeAll {
            $script:Landing = Start-HostileServer -Routes @{ '/data' = @{ Status = 200; Reason = 'OK'; Body = '{"landed":true}'; Authorization = 'Bearer hostile-issued-token-7f3a' } } `
                -Certificate ([System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certificates.Server, $Certificates.Password))
            $script:LandingOrigin = $Landing.Root.TrimEnd('/')
            $script:Redirecting = Start-HostileServer -Routes @{
                '/token' = $TokenAnswer
                '/data'  = @{ Status = 302; Reason = 'Found'; Headers = @{ Location = "$($Landing.Root)data" } }
            }
        }
        AfterAll { Stop-HostileServer $Landing; Stop-HostileServer $Redirecting }
        BeforeEach {
            # The other origin's certificate is from the test CA: trusted by the session, as a corporate CA would be.
            Set-TokenAuthOption -CertificateBundle $Certificates.Bundle
            $Landing.Requests.Clear()
            $Redirecting.Requests.Clear()
        }

        It 'a 401 where the token was withheld says where the redirect went and how to trust that origin, and renews nothing' {
            $null = Register-HostileDefinition -Name RedirectingHostile -BaseUri $Redirecting.Root

            $answer = Invoke-AuthenticatedRequest RedirectingHostile -Uri data -Credential $HostileCredential -ErrorVariable failures -ErrorAction SilentlyContinue

            $answer | Should -BeNullOrEmpty
            $failures[0].FullyQualifiedErrorId | Should -BeLike 'RequestFailed,*'
            $text = "$($failures[0].Exception.Message)"
            $text | Should -Match ([regex]::Escape("redirected the request to $LandingOrigin, another origin, and the token was withheld there"))
            $text | Should -Match ([regex]::Escape("""trustedOrigins"": [""$LandingOrigin""]"))
            @($Landing.Requests).Count | Should -Be 1
            @($Landing.Requests)[0].Headers.Keys | Should -Not -Contain 'Authorization'
            @($Redirecting.Requests | Where-Object Path -EQ '/token').Count | Should -Be 1 -Because 'a new token cannot help where no token is sent'
        }

        It 'named in trustedOrigins, that origin gets the token' {
            $null = Register-HostileDefinition -Name TrustingRedirects -BaseUri $Redirecting.Root -Extra @{ trustedOrigins = @($LandingOrigin) }

            $answer = Invoke-AuthenticatedRequest TrustingRedirects -Uri data -Credential $HostileCredential

            $answer.landed | Should -BeTrue
            @($Landing.Requests)[0].Headers['Authorization'] | Should -Be 'Bearer hostile-issued-token-7f3a'
        }

        It 'refuses a trusted origin that is <Case>' -ForEach @(
            @{ Case = 'plain http'; Origin = 'http://api.example.com'; Says = 'must be an https origin' }
            @{ Case = 'a wildcard'; Origin = 'https://*.example.com'; Says = 'a wildcard would send the token to hosts nobody named' }
            @{ Case = 'more than an origin'; Origin = 'https://api.example.com/v1'; Says = 'must be an origin alone' }
        ) {
            $failure = try { Register-HostileDefinition -Name BadOrigins -BaseUri 'https://api.example.com' -Extra @{ trustedOrigins = @($Origin) } } catch { $_ }

            $failure.FullyQualifiedErrorId | Should -BeLike 'InvalidProviderConfiguration,*'
            "$($failure.Exception.Message)" | Should -Match ([regex]::Escape('$.trustedOrigins[0]'))
            "$($failure.Exception.Message)" | Should -Match $Says
        }
    }

    Describe '11. A client certificate the session forgets is disposed of' {
        BeforeAll {
            $script:MutualServer = Start-HostileServer -Routes @{ '/token' = $TokenAnswer } -AskClientCertificate `
                -Certificate ([System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Certificates.Server, $Certificates.Password))
            $null = Register-HostileDefinition -Name ForgottenCertificate -BaseUri $MutualServer.Root -Extra @{
                trustedCertificates = $Certificates.Bundle
                clientCertificate   = @{ certificateFile = $Certificates.ClientPem; keyFile = $Certificates.ClientKey }
            }
            # The certificate a token's calls present, from the token's request (internal: no output shows a certificate).
            function Get-PresentedCertificate($Token) {
                $access = $Token.GetType().GetProperty('Access', [System.Reflection.BindingFlags] 'NonPublic, Instance').GetValue($Token)
                $access.Request.Connection.ClientCertificate
            }
        }
        AfterAll { Stop-HostileServer $MutualServer }

        It 'Revoke-ProviderToken -All disposes of the certificate read from the definition''s files, and the next call reads it again' {
            $MutualServer.Requests.Clear()

            $first = Get-ProviderToken ForgottenCertificate -Credential $HostileCredential
            $presented = Get-PresentedCertificate $first
            $thumbprint = $presented.Thumbprint
            $null = Revoke-ProviderToken -All -Confirm:$false
            $second = Get-ProviderToken ForgottenCertificate -Credential $HostileCredential

            $thumbprint | Should -Be $Certificates.Client.Thumbprint
            $presented.Handle | Should -Be ([IntPtr]::Zero) -Because 'a forgotten certificate is disposed of, and its key with it'
            $again = Get-PresentedCertificate $second
            [object]::ReferenceEquals($again, $presented) | Should -BeFalse
            $again.HasPrivateKey | Should -BeTrue
            @($MutualServer.Requests | ForEach-Object { $_.ClientCertificate.Thumbprint }) | Should -Be @($Certificates.Client.Thumbprint, $Certificates.Client.Thumbprint) `
                -Because 'the certificate read again is presented over a connection of its own'
        }
    }

    Describe '5. Loopback never goes through a proxy' {
        BeforeAll {
            $script:LoopbackProxy = Start-TokenAuthTestProxy -Folder (Join-Path $TestDrive 'loopback-proxy')
            $script:EmulatorPort = ([uri] $Emulator.Root).Port
            $script:ApimwCredentialScript = Get-TokenAuthCredentialScript $Session.Credentials.apimw
        }
        AfterAll { Stop-TokenAuthTestProxy $LoopbackProxy }
        BeforeEach {
            if (-not $LoopbackProxy) { Set-ItResult -Skipped -Because 'tinyproxy is not installed (apt-get install tinyproxy; .ci/run installs it)' }
            Reset-TokenAuthEmulator -Emulator $Emulator
        }

        It 'plain http to <Loopback> goes straight there, around <Case>, and the proxy''s log shows nothing of it' -ForEach @(
            @{ Case = '-Proxy'; Loopback = '127.0.0.1' }
            @{ Case = '-Proxy'; Loopback = 'localhost' }
            @{ Case = 'the session''s proxy'; Loopback = '127.0.0.1' }
            @{ Case = 'HTTP_PROXY without NO_PROXY'; Loopback = '127.0.0.1' }
        ) {
            $base = "http://${Loopback}:$EmulatorPort/apimw"
            $before = @(Get-TokenAuthTestProxyRequest $LoopbackProxy).Count

            $answer = switch ($Case) {
                '-Proxy' { (Invoke-AuthenticatedRequest APIMW -BaseUri $base -Uri resources/sample -Proxy $LoopbackProxy.Uri).provider }
                'the session''s proxy' { Set-TokenAuthOption -Proxy $LoopbackProxy.Uri; (Invoke-AuthenticatedRequest APIMW -BaseUri $base -Uri resources/sample).provider }
                default {
                    Invoke-TokenAuthFreshPwsh "(Invoke-AuthenticatedRequest APIMW -BaseUri '$base' -Credential ($ApimwCredentialScript) -Uri resources/sample).provider" `
                        -Environment @{ HTTP_PROXY = $LoopbackProxy.Uri; HTTPS_PROXY = $LoopbackProxy.Uri; NO_PROXY = '' }
                }
            }

            $answer | Should -Be 'apimw'
            Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'apimw/token' | Should -Be 1
            @(Get-TokenAuthTestProxyRequest $LoopbackProxy | Select-Object -Skip $before) | Should -BeNullOrEmpty -Because 'the credential and the token must not leave the machine in clear text'
        }
    }
}
