# Hostile input, part three (issue 28): ambient identities stay where they belong. Client assertions, the pipeline's
# own tokens, the session's assertion source and certificates go only where the user sent them, each point proven
# through the cmdlets against the emulator or a small hostile server on loopback that logs everything it is sent.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json')
    $script:Certificates = New-TokenAuthTestCertificate -Path (Join-Path $TestDrive 'certificates')
    $script:Emulator = Start-TokenAuthEmulator -ArgumentList '--assertion-certificate', "demo-jwt-client=$($Certificates.ClientPem)",
        '--assertion-certificate', "demo-ec-client=$(Join-Path $Certificates.Folder 'ec-client.pem')",
        '--federated-credential', 'demo-federated-client=repo:tokenauth/emulator:ref:refs/heads/main'
    $script:Base = $Emulator.Root
    $script:GitHubVariables = @{
        ACTIONS_ID_TOKEN_REQUEST_URL   = "$($Base)github-actions/idtoken?api-version=2.0"
        ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'emulator-actions-id-token-request-token'
    }

    # Every OIDC token the emulated pipelines issued.
    function Get-IssuedOidcToken { @((Invoke-RestMethod "$($Base)_emulator/evidence").oidcTokens) }

    # A hostile token endpoint on loopback: it logs everything it is sent (request line, headers, body) and refuses.
    function Open-HostileServer {
        $listener = [System.Net.HttpListener]::new()
        $listener.Prefixes.Add("http://127.0.0.1:$(Get-TokenAuthFreePort)/")
        $listener.Start()
        $log = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
        $shell = [powershell]::Create()
        $null = $shell.AddScript({
                param ($listener, $log)
                while ($listener.IsListening) {
                    try { $context = $listener.GetContext() } catch { break }
                    $request = $context.Request
                    $body = [IO.StreamReader]::new($request.InputStream).ReadToEnd()
                    $log.Enqueue("$($request.HttpMethod) $($request.RawUrl)`n$($request.Headers)`n$body")
                    $answer = [Text.Encoding]::UTF8.GetBytes('{"error":"invalid_client","error_description":"refused"}')
                    $context.Response.StatusCode = 400
                    $context.Response.ContentType = 'application/json'
                    $context.Response.OutputStream.Write($answer, 0, $answer.Length)
                    $context.Response.Close()
                }
            }).AddArgument($listener).AddArgument($log)
        $null = $shell.BeginInvoke()
        [pscustomobject]@{ Uri = $listener.Prefixes | Select-Object -First 1; Log = $log; Listener = $listener; Shell = $shell }
    }

    function Close-HostileServer($Server) {
        $Server.Listener.Close()
        $Server.Shell.Dispose()
    }

    # An unexpired JWT-shaped value: what a variable or file holding a workload identity token looks like.
    function Get-JwtShapedValue([string] $Marker) {
        $encode = { param ($text) [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($text)).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
        (& $encode '{"alg":"RS256"}') + '.' + (& $encode "{`"sub`":`"$Marker`",`"exp`":4102444800}") + '.' + (& $encode $Marker)
    }

    # Lines of a fresh pwsh's output as one text, errors with their details and the provider's body.
    $script:AllLines = '*>&1 | ForEach-Object { if ($_ -is [Management.Automation.ErrorRecord]) { "$_ $($_.Exception) $($_.ErrorDetails) $($_.ErrorDetails.RecommendedAction) $($_.Exception.ResponseBody)" } else { "$_" } }'
}

AfterAll {
    Stop-TokenAuthEmulator $Emulator
    Exit-TokenAuthTestSession -Session $Session
}

Describe '4. A client assertion is a credential of its call from the moment it exists' {
    BeforeEach { Reset-TokenAuthEmulator $Emulator }

    It 'hides a signed ES256 assertion a token endpoint echoes in a <Status> answer, and registers it with the CI''s log masking' -ForEach @(
        @{ Status = 200 }, @{ Status = 401 }
    ) {
        $definition = Register-TokenAuthExampleVariant -Example oauth2-private-key-jwt.json -Name "EchoJwtOAuth2$Status" -Folder $Certificates.Folder -Edit {
            param ($definition)
            $definition.token.assertion = @{ algorithm = 'ES256' }
            $definition.clientCertificate = @{ certificateFile = 'ec-client.pem'; keyFile = 'ec-client.key' }
        }
        # An "error object" in a 200 answer, or a refusal, that quotes the assertion it was sent.
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider oauth2 -Endpoint token -StatusCode $Status `
            -Body '{"success":false,"error":"invalid_client","error_description":"The assertion {form:client_assertion} is not trusted"}'
        $script = "`$null = Register-TokenAuthProvider '$definition'; " +
            "Get-ProviderToken EchoJwtOAuth2$Status -BaseUri '$Base' -ClientId demo-ec-client -Verbose -Debug -ErrorAction Continue $AllLines"

        $output = Invoke-TokenAuthFreshPwsh $script -Environment @{ GITHUB_ACTIONS = 'true' }
        $masks = @($output | Where-Object { $_ -match '^::add-mask::(eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+)$' })

        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -Be 1
        $masks.Count | Should -Be 1 -Because 'the signed assertion is registered for masking before anything could show it'
        $assertion = $masks[0].Substring('::add-mask::'.Length)
        @($output | Where-Object { $_.Contains($assertion) }).Count | Should -Be 1 -Because 'the assertion appears in its mask command alone'
        ($output -join "`n") | Should -Match 'The assertion \*\*\* is not trusted'
    }
}

Describe '8. -Certificate goes only to a provider named on the command line, as -Credential, -ClientId and -ClientAssertion do' {
    BeforeAll {
        # A private_key_jwt provider that names no certificate: -Certificate would sign its assertions.
        $definition = Register-TokenAuthExampleVariant -Example oauth2-private-key-jwt.json -Name 'PipedCertificateJwt' -Folder $Certificates.Folder
        $json = Get-Content $definition -Raw | ConvertFrom-Json -AsHashtable
        $json.Remove('clientCertificate')
        $json | ConvertTo-Json -Depth 10 | Set-Content $definition
        $null = Register-TokenAuthProvider $definition
        Set-Secret -Name TokenAuth.PipedCertificateJwt -Secret @{ ClientId = 'demo-jwt-client' } -Vault $Session.VaultName
    }
    BeforeEach { Reset-TokenAuthEmulator $Emulator }

    It 'refuses -Certificate for a provider a piped object names, and sends nothing' {
        [pscustomobject]@{ Provider = 'PipedCertificateJwt' } |
            Get-ProviderToken -BaseUri $Base -Certificate $Certificates.Client -ErrorVariable piped -ErrorAction SilentlyContinue

        $piped[0].FullyQualifiedErrorId | Should -Be 'UnsafeRequest,TokenAuth.Commands.GetProviderTokenCommand'
        "$($piped[0])" | Should -Match "A piped object names the provider 'PipedCertificateJwt', but a credential given with .*-Certificate goes only to a provider named with -Provider"
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -BeNullOrEmpty
    }

    It 'refuses -Certificate with a piped token, which keeps the certificate it was got with' {
        $token = Get-ProviderToken PipedCertificateJwt -BaseUri $Base -Certificate $Certificates.Client

        $token | Get-ProviderToken -Force -Certificate $Certificates.Client -ErrorVariable piped -ErrorAction SilentlyContinue
        $renewed = $token | Get-ProviderToken -Force

        $piped[0].FullyQualifiedErrorId | Should -Be 'UnsafeRequest,TokenAuth.Commands.GetProviderTokenCommand'
        $renewed.Provider | Should -Be 'PipedCertificateJwt' -Because 'the piped token renews with its own certificate'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/assertion-accepted' | Should -Be 2
    }
}

Describe '8b. A credential typed on the command line goes only to the environment the command line names' {
    BeforeAll {
        # Two environments of one provider, two origins on loopback: a piped object may choose between them.
        $script:OtherOrigin = $Base -replace '127\.0\.0\.1', 'localhost'
        $null = Register-TokenAuthExampleVariant -Example oauth2-client-credentials.json -Name 'PipedEnvironmentOAuth2' -Folder $Certificates.Folder -Edit {
            param ($definition)
            $definition.environments = @{ Main = $Base; Other = $OtherOrigin }
            $definition.defaultEnvironment = 'Main'
        }
        function ConvertTo-TypedCredential {
            [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'The emulator''s published demo credential, typed as a user would.')]
            param ($Demo)
            [pscredential]::new($Demo.clientId, (ConvertTo-SecureString $Demo.clientSecret -AsPlainText -Force))
        }
        $script:Typed = ConvertTo-TypedCredential $Session.Credentials.oauth2
    }
    BeforeEach { Reset-TokenAuthEmulator $Emulator }

    It 'refuses -Credential for an environment a piped object names, and sends nothing' {
        [pscustomobject]@{ Environment = 'Other' } |
            Get-ProviderToken -Provider PipedEnvironmentOAuth2 -Credential $Typed -ErrorVariable piped -ErrorAction SilentlyContinue

        $piped[0].FullyQualifiedErrorId | Should -Be 'UnsafeRequest,TokenAuth.Commands.GetProviderTokenCommand'
        "$($piped[0])" | Should -Match "A piped object names the environment 'Other' of 'PipedEnvironmentOAuth2', but a credential given with -Credential"
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -BeNullOrEmpty
    }

    It 'still lets a piped object choose the environment for the provider''s own secret' {
        Set-Secret -Name TokenAuth.PipedEnvironmentOAuth2 -Secret $Typed -Vault $Session.VaultName

        $token = [pscustomobject]@{ Environment = 'Other' } | Get-ProviderToken -Provider PipedEnvironmentOAuth2

        $token.BaseUri | Should -Be $OtherOrigin
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -Be 1
    }
}

Describe '6. A File: source that blocks (a FIFO) ends within -TimeoutSec and on Ctrl+C' -Skip:($IsWindows -or -not (Get-Command mkfifo -ErrorAction Ignore)) {
    BeforeAll {
        $null = Register-TokenAuthExampleVariant -Example oauth2-federated.json -Name 'FifoFederatedOAuth2' -Folder $Certificates.Folder

        # The call, in a runspace of its own, so that a hang is a failure and not a stalled run.
        function Invoke-FifoCallInBackground([string] $Arguments) {
            $shell = [powershell]::Create()
            $null = $shell.AddScript("Import-Module '$($Session.Manifest)'; Get-ProviderToken FifoFederatedOAuth2 -BaseUri '$Base' -ClientId demo-federated-client -ClientAssertion 'File:$Fifo' -Verbose $Arguments")
            [pscustomobject]@{ Shell = $shell; Running = $shell.BeginInvoke() }
        }
    }
    BeforeEach {
        Reset-TokenAuthEmulator $Emulator
        $script:Fifo = Join-Path $TestDrive "fifo-$([guid]::NewGuid().ToString('N'))"
        & mkfifo $Fifo
    }
    AfterEach {
        # A writer that opens and closes the FIFO ends the read left blocked on it.
        & timeout 5 sh -c ": > '$Fifo'"
        Remove-Item $Fifo -ErrorAction Ignore
    }

    It 'ends within -TimeoutSec, sending nothing' -Tag WallClock {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $call = Invoke-FifoCallInBackground '-TimeoutSec 2'
        $ended = $call.Running.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(30))
        $watch.Stop()

        $ended | Should -BeTrue -Because 'a blocked read must not outlive the call''s -TimeoutSec'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
        $call.Shell.Streams.Error[0].FullyQualifiedErrorId | Should -BeLike 'ClientAssertionUnavailable,*'
        "$($call.Shell.Streams.Error[0])" | Should -Match "no client assertion from File:.*fifo-\w+: none came within the call's 2 s" -Because 'the source, not the provider, kept the call waiting'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -BeNullOrEmpty
        $call.Shell.Dispose()
    }

    It 'ends on Ctrl+C' {
        $call = Invoke-FifoCallInBackground ''
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while (-not ($call.Shell.Streams.Verbose.Message -match 'getting a client assertion from File:') -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $call.Shell.Streams.Verbose.Message -match 'getting a client assertion from File:' | Should -Not -BeNullOrEmpty -Because 'the read must be under way before Ctrl+C'

        $stopping = $call.Shell.BeginStop($null, $null)

        $stopping.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(30)) | Should -BeTrue -Because 'Ctrl+C must not wait for a read that never ends'
        $call.Shell.InvocationStateInfo.State | Should -Be 'Stopped'
        $call.Shell.Dispose()
    }
}

Describe '2. A definition''s own assertion source is shown, and read only when the user names it' {
    BeforeAll {
        $script:Hostile = Open-HostileServer
        $script:VariableValue = Get-JwtShapedValue 'hostile-test-variable-value'
        $script:FileContent = Get-JwtShapedValue 'hostile-test-file-content'
        $script:TokenFile = Join-Path $TestDrive 'projected-token'
        Set-Content -Path $TokenFile -Value $FileContent -NoNewline
        $script:Ambient = $GitHubVariables + @{
            TOKENAUTH_HOSTILE_VARIABLE = $VariableValue
            SYSTEM_OIDCREQUESTURI      = "$($Base)azure-devops/oidctoken"
            SYSTEM_ACCESSTOKEN         = 'emulator-azure-pipelines-system-access-token'
        }

        # A vendor's or colleague's definition: its token endpoint is the hostile server, and it names its own source.
        function Register-HostileDefinition([string] $Name, [string] $Source) {
            $definition = @{
                name = $Name; environments = @{ Live = $Hostile.Uri }; credential = @{ fields = @('ClientId') }
                token = @{ path = '/token'; encoding = 'Form'; clientAuthentication = 'FederatedAssertion'; assertion = @{ source = $Source }; fields = @{ grant_type = 'client_credentials' } }
                tokenResponse = @{ accessToken = 'access_token'; expiry = @(@{ path = 'expires_in'; format = 'SecondsFromNow' }) }
                authorization = @{ scheme = 'Bearer' }
                trustedCertificates = $Certificates.Bundle
            }
            $path = Join-Path $TestDrive "$Name.json"
            $definition | ConvertTo-Json -Depth 6 | Set-Content $path
            Register-TokenAuthProvider $path -WarningVariable shown -WarningAction SilentlyContinue | Out-Null
            "$shown"
        }
    }
    AfterAll { Close-HostileServer $Hostile }
    BeforeEach {
        Reset-TokenAuthEmulator $Emulator
        $Hostile.Log.Clear()
    }

    It '<Name> (<Source>): is shown at registration and in Get-TokenAuthProvider, and nothing of it is sent unasked' -ForEach @(
        @{ Name = 'HostileEnv'; Source = 'Env:TOKENAUTH_HOSTILE_VARIABLE'; Takes = 'the value of the environment variable TOKENAUTH_HOSTILE_VARIABLE' }
        @{ Name = 'HostileFile'; Source = 'File:{0}'; Takes = 'the content of the file .*projected-token' }
        @{ Name = 'HostileGitHub'; Source = 'GitHubActions:sts.amazonaws.com'; Takes = 'the GitHub Actions job''s OIDC token \(with ACTIONS_ID_TOKEN_REQUEST_TOKEN\), for the audience ''sts.amazonaws.com''' }
        @{ Name = 'HostileAzure'; Source = 'AzureDevOps'; Takes = 'Azure Pipelines'' OIDC token \(with SYSTEM_ACCESSTOKEN\), for the pipeline' }
    ) {
        $named = $Source -f $TokenFile
        $warning = Register-HostileDefinition $Name $named
        $listed = Get-TokenAuthProvider $Name
        $failure = Use-TokenAuthEnvironment $Ambient {
            Get-ProviderToken $Name -ClientId someone -ErrorVariable refused -ErrorAction SilentlyContinue
            $refused
        }
        $sent = $Hostile.Log.ToArray() -join "`n"

        foreach ($secret in $VariableValue, $FileContent, $Ambient.ACTIONS_ID_TOKEN_REQUEST_TOKEN, $Ambient.SYSTEM_ACCESSTOKEN) { $sent.Contains($secret) | Should -BeFalse }
        $sent | Should -Not -Match 'eyJ[\w-]+\.eyJ[\w-]+' -Because 'no pipeline token, for any audience, may reach the definition''s token endpoint'
        $Hostile.Log.Count | Should -Be 0 -Because 'nothing goes to the definition''s token endpoint without a source the user named'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'github-actions/idtoken' | Should -BeNullOrEmpty -Because 'no pipeline bearer may be spent for a definition'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'azure-devops/oidctoken' | Should -BeNullOrEmpty
        $warning | Should -Match "The definition of $Name names the client assertion source .*: $Takes, to be sent to $([regex]::Escape($Hostile.Uri))token, trusting the CAs in .*ca\.pem\. TokenAuth reads it only when you name that source yourself"
        $listed.ClientAssertionSource | Should -BeLike ($named.Split(':')[0] + '*')
        $listed.AmbientIdentity | Should -Be $warning
        $listed.TrustedCertificates | Should -Be $Certificates.Bundle
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'InvalidCredential,*'
        "$($failure[0])" | Should -Match 'Its definition names .*, which is read only when you name it yourself'
    }

    It 'completes -ClientAssertion with the source the named provider''s definition shows, so that accepting it is one Tab' {
        $null = Register-HostileDefinition 'HostileCompleted' 'GitHubActions:sts.amazonaws.com'

        $onCall = 'Get-ProviderToken HostileCompleted -ClientAssertion '
        $forSession = 'Set-TokenAuthOption -ClientAssertionProvider HostileCompleted -ClientAssertion Git'
        $otherProvider = 'Get-ProviderToken APIMW -ClientAssertion '

        (TabExpansion2 -inputScript $onCall -cursorColumn $onCall.Length).CompletionMatches[0].CompletionText | Should -Be 'GitHubActions:sts.amazonaws.com'
        (TabExpansion2 -inputScript $forSession -cursorColumn $forSession.Length).CompletionMatches[0].ToolTip | Should -Match '^named by the provider''s definition: the GitHub Actions job''s OIDC token'
        (TabExpansion2 -inputScript $otherProvider -cursorColumn $otherProvider.Length).CompletionMatches.CompletionText | Should -Not -Contain 'GitHubActions:sts.amazonaws.com'
    }

    It 'completes a definition''s source that holds code as quoted text, which accepting cannot run' {
        $null = Register-HostileDefinition 'HostileCodeCompleted' 'File:x;$global:TokenAuthCompletionRan=1'
        $line = 'Get-ProviderToken HostileCodeCompleted -ClientAssertion '

        $completion = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches[0].CompletionText

        $completion | Should -BeLike "'File:*x;`$global:TokenAuthCompletionRan=1'"
        # Accepted as completed, it is one string argument: nothing in it parses as a statement or a variable.
        $tokens = $null; $errors = $null
        $null = [System.Management.Automation.Language.Parser]::ParseInput($line + $completion, [ref] $tokens, [ref] $errors)
        @($tokens | Where-Object Kind -In 'Semi', 'Variable') | Should -BeNullOrEmpty
    }

    It 'completes a vault whose name holds code as quoted text, and a plain one bare' {
        # The vaults are the SecretManagement registry's, in a home of the test's own.
        $support = Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1'
        $vaultHome = Join-Path $TestDrive 'completed-vaults'
        $script = "Import-Module '$support'; " +
            "Register-TokenAuthTestVault -Name 'Ops;`$global:TokenAuthVaultCompletionRan=1' -Path '$vaultHome/ops.json'; " +
            "Register-TokenAuthTestVault -Name 'Plain' -Path '$vaultHome/plain.json'; " +
            "`$line = 'Get-ProviderToken APIMW -Vault '; (TabExpansion2 -inputScript `$line -cursorColumn `$line.Length).CompletionMatches.CompletionText"

        $completions = Invoke-TokenAuthFreshPwsh $script -IsolatedHome $vaultHome

        $completions | Should -Be @("'Ops;`$global:TokenAuthVaultCompletionRan=1'", 'Plain')
    }

    It 'sends the source the user names on the call: the hostile server''s log sees what a definition alone never gets' {
        $null = Register-HostileDefinition 'HostileConsented' 'Env:TOKENAUTH_HOSTILE_VARIABLE'

        Use-TokenAuthEnvironment $Ambient {
            Get-ProviderToken HostileConsented -ClientId someone -ClientAssertion Env:TOKENAUTH_HOSTILE_VARIABLE -ErrorAction SilentlyContinue
        }

        $Hostile.Log.Count | Should -Be 1
        ($Hostile.Log.ToArray() -join "`n").Contains($VariableValue) | Should -BeTrue
    }
}

Describe '3. The session''s assertion source goes only to the providers named for it, never to one a piped object chooses' {
    BeforeAll {
        $script:Hostile = Open-HostileServer
        # Entra ID's stand-in, which trusts the job's token for its audience, and a vendor's provider on the hostile server.
        $null = Register-TokenAuthExampleVariant -Example oauth2-federated.json -Name 'SessionEntra' -Folder $Certificates.Folder
        $null = Register-TokenAuthExampleVariant -Example oauth2-federated.json -Name 'SessionVendor' -Folder $Certificates.Folder -Edit {
            param ($definition)
            $definition.environments = @{ Live = $Hostile.Uri }
        }
        Set-Secret -Name TokenAuth.SessionEntra -Secret @{ ClientId = 'demo-federated-client' } -Vault $Session.VaultName
        $script:EntraAudience = 'GitHubActions:api://AzureADTokenExchange'
    }
    AfterAll {
        Set-TokenAuthOption -ClientAssertion ''
        Close-HostileServer $Hostile
    }
    BeforeEach {
        Set-TokenAuthOption -ClientAssertion ''
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
        Reset-TokenAuthEmulator $Emulator
        $Hostile.Log.Clear()
    }

    It 'refuses a session source named for no provider, so a vendor''s provider never gets the job''s token' {
        { Set-TokenAuthOption -ClientAssertion $EntraAudience } | Should -Throw -ExpectedMessage '*goes only to the providers you name for it*add -ClientAssertionProvider NAME*'
        Use-TokenAuthEnvironment $GitHubVariables {
            Get-ProviderToken SessionVendor -ClientId someone -ErrorAction SilentlyContinue
        }
        $sent = $Hostile.Log.ToArray() -join "`n"

        $sent | Should -Not -Match 'eyJ[\w-]+\.eyJ[\w-]+' -Because 'an assertion fetched for Entra''s audience must not reach the vendor'
        $Hostile.Log.Count | Should -Be 0
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'github-actions/idtoken' | Should -BeNullOrEmpty
        (Get-TokenAuthOption).ClientAssertion | Should -BeNullOrEmpty
    }

    It 'gives the session source to the provider named for it, named on the command line, and to no other' {
        Set-TokenAuthOption -ClientAssertion $EntraAudience -ClientAssertionProvider SessionEntra
        $shown = (Get-TokenAuthOption).ClientAssertion

        $token = Use-TokenAuthEnvironment $GitHubVariables { Get-ProviderToken SessionEntra -BaseUri $Base }
        $vendor = Use-TokenAuthEnvironment $GitHubVariables {
            Get-ProviderToken SessionVendor -ClientId someone -ErrorVariable refused -ErrorAction SilentlyContinue
            $refused
        }

        $shown | Should -Be "SessionEntra=$EntraAudience"
        $token.ClientAssertion | Should -Be $EntraAudience
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'github-actions/idtoken' | Should -Be 1 -Because 'the vendor''s call fetched no assertion'
        $Hostile.Log.Count | Should -Be 0
        "$($vendor[0])" | Should -Match 'SessionVendor credential is not usable: its client assertion has no source.*-ClientAssertionProvider SessionVendor'
    }

    It 'never gives it to a provider a piped object names, even the one it is for' {
        Set-TokenAuthOption -ClientAssertion $EntraAudience -ClientAssertionProvider SessionEntra

        $piped = Use-TokenAuthEnvironment $GitHubVariables {
            [pscustomobject]@{ Provider = 'SessionEntra' } | Get-ProviderToken -BaseUri $Base -ErrorVariable refused -ErrorAction SilentlyContinue
            $refused
        }

        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'github-actions/idtoken' | Should -BeNullOrEmpty
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -BeNullOrEmpty
        "$($piped[0])" | Should -Match 'goes to it only when -Provider names it on the command line'
    }

    It 'refuses a provider that takes no federated assertion, and clears one provider''s source or all' {
        { Set-TokenAuthOption -ClientAssertion $EntraAudience -ClientAssertionProvider APIMW } | Should -Throw -ExpectedMessage '*APIMW authenticates with Body, not a federated assertion*'
        Set-TokenAuthOption -ClientAssertion $EntraAudience -ClientAssertionProvider SessionEntra, SessionVendor
        Set-TokenAuthOption -ClientAssertion '' -ClientAssertionProvider SessionVendor
        $afterOne = (Get-TokenAuthOption).ClientAssertion
        Set-TokenAuthOption -ClientAssertion ''

        $afterOne | Should -Be "SessionEntra=$EntraAudience"
        (Get-TokenAuthOption).ClientAssertion | Should -BeNullOrEmpty
        { Set-TokenAuthOption -ClientAssertionProvider SessionEntra } | Should -Throw -ExpectedMessage '*give it with -ClientAssertion*'
    }
}

Describe '9. Trust and identity settings are per runspace; limits are the process''s' {
    BeforeAll {
        $null = Register-TokenAuthExampleVariant -Example oauth2-federated.json -Name 'RunspaceEntra' -Folder $Certificates.Folder
        Set-Secret -Name TokenAuth.RunspaceEntra -Secret @{ ClientId = 'demo-federated-client' } -Vault $Session.VaultName

        # Runs a script in another runspace of this process (a host's, or a pool's serving another script) and returns its output.
        function Invoke-InOtherRunspace([string] $Script) {
            $shell = [powershell]::Create()
            try {
                $null = $shell.AddScript("Import-Module '$($Session.Manifest)'; $Script")
                $shell.Invoke()
            }
            finally { $shell.Dispose() }
        }
    }
    AfterEach { Set-TokenAuthOption -Reset }
    BeforeEach { Reset-TokenAuthEmulator $Emulator }

    It 'keeps a runspace''s proxy, trusted CAs and assertion source from an unrelated runspace, which shares its limits' {
        Set-TokenAuthOption -Proxy 'http://127.0.0.1:9' -CertificateBundle $Certificates.Bundle -MaximumRetryCount 1 `
            -ClientAssertion GitHubActions:api://AzureADTokenExchange -ClientAssertionProvider RunspaceEntra

        $other = Use-TokenAuthEnvironment $GitHubVariables {
            Invoke-InOtherRunspace "Get-TokenAuthOption; Get-ProviderToken RunspaceEntra -BaseUri '$Base' -ErrorVariable refused -ErrorAction SilentlyContinue; `$refused"
        }
        $mine = Get-TokenAuthOption

        $other[0].Proxy | Should -Be 'System'
        $other[0].CertificateBundle | Should -BeNullOrEmpty
        $other[0].ClientAssertion | Should -BeNullOrEmpty
        $other[0].MaximumRetryCount | Should -Be 1 -Because 'limits are the process''s'
        "$($other[1])" | Should -Match 'RunspaceEntra credential is not usable: its client assertion has no source'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'github-actions/idtoken' | Should -BeNullOrEmpty -Because 'the other runspace was given no source'
        $mine.Proxy | Should -Be 'http://127.0.0.1:9/'
        $mine.CertificateBundle | Should -Be $Certificates.Bundle
        $mine.ClientAssertion | Should -Be 'RunspaceEntra=GitHubActions:api://AzureADTokenExchange'
    }

    It 'gives ForEach-Object -Parallel the settings only when they are handed over' {
        Set-TokenAuthOption -CertificateBundle $Certificates.Bundle -ClientAssertion GitHubActions:api://AzureADTokenExchange -ClientAssertionProvider RunspaceEntra
        $options = Get-TokenAuthOption
        $manifest = $Session.Manifest

        $results = Use-TokenAuthEnvironment $GitHubVariables {
            'unseen', 'handed over' | ForEach-Object -ThrottleLimit 2 -Parallel {
                Import-Module $using:manifest
                if ($_ -eq 'handed over') { $using:options | Set-TokenAuthOption }
                $token = Get-ProviderToken RunspaceEntra -BaseUri $using:Base -ErrorAction SilentlyContinue
                [pscustomobject]@{ Case = $_; Bundle = (Get-TokenAuthOption).CertificateBundle; Provider = $token.Provider }
            }
        }
        $unseen = $results | Where-Object Case -EQ 'unseen'
        $handedOver = $results | Where-Object Case -EQ 'handed over'

        $unseen.Bundle | Should -BeNullOrEmpty
        $unseen.Provider | Should -BeNullOrEmpty -Because 'without the settings, the parallel runspace has no assertion source'
        $handedOver.Bundle | Should -Be $Certificates.Bundle
        $handedOver.Provider | Should -Be 'RunspaceEntra'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'github-actions/idtoken' | Should -Be 1
    }
}
