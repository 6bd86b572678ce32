# Values that cross in from a pipe, a provider, a vault or a file, sent by the worst sender: they must not steer the
# credential, inject headers, defeat masking or scrubbing, exhaust memory, or destroy files. One Describe per point of
# issue 17, each proven through the cmdlets against the emulator.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json')
    $script:Emulator = $Session.Emulator
    $script:OAuth2 = $Session.Credentials.oauth2

    function Base([string] $Provider) { Get-TokenAuthEmulatorBaseUri -Emulator $script:Emulator -Provider $Provider }

    # A custom definition whose only environment is the emulator's plain OAuth2 server: a destination nobody piped in.
    function Register-EmulatorDefinition([string] $Name, [string[]] $Fields = @('ClientId', 'ClientSecret'), [hashtable] $TokenFields, [object[]] $Expiry) {
        if (-not $TokenFields) { $TokenFields = @{ grant_type = 'client_credentials'; client_id = '{ClientId}'; client_secret = '{ClientSecret}'; scope = '{Scope}' } }
        if (-not $Expiry) { $Expiry = @(@{ path = 'expires_in'; format = 'SecondsFromNow' }) }
        $definition = @{
            name = $Name; environments = @{ Emulator = (Base oauth2) }; defaultEnvironment = 'Emulator'; credential = @{ fields = $Fields }
            token = @{ path = '/token'; encoding = 'Form'; fields = $TokenFields }
            tokenResponse = @{ accessToken = 'access_token'; tokenType = 'token_type'; expiry = $Expiry; defaultLifetimeSeconds = 300 }
            authorization = @{ scheme = 'Bearer'; schemeFromTokenType = $true }
            revoke = @{ path = '/revoke'; encoding = 'Form'; fields = @{ token = '{AccessToken}'; client_id = '{ClientId}'; client_secret = '{ClientSecret}' } }
            errors = @{ codePaths = @('error'); messagePaths = @('error_description') }
        }
        if ($Fields -notcontains 'ClientSecret') { $definition.Remove('revoke') }
        $file = Join-Path $TestDrive "$Name.json"
        $definition | ConvertTo-Json -Depth 5 | Set-Content $file
        Register-TokenAuthProvider -Path $file -ErrorAction Stop | Out-Null
    }

    function Get-TestCredential {
        [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'Test values: the emulator''s published demo credentials, or strings made to be refused.')]
        param ([string] $Identity, [string] $Value)
        [pscredential]::new($Identity, (ConvertTo-SecureString $Value -AsPlainText -Force))
    }

    Register-EmulatorDefinition -Name PipeSafe
    Set-Secret -Name TokenAuth.PipeSafe -Secret (Get-TestCredential $OAuth2.clientId $OAuth2.clientSecret) -Vault $Session.VaultName

    # Every line a call wrote to any stream, and its errors' messages and details, as one text.
    function Join-StreamText([object[]] $Lines, [object[]] $Failures) {
        (@($Lines | ForEach-Object { "$_" }) + @($Failures | ForEach-Object { "$_"; "$($_.ErrorDetails)"; "$($_.Exception.ResponseBody)" })) -join "`n"
    }
}

AfterAll {
    Exit-TokenAuthTestSession -Session $Session
}

Describe 'Hostile input' {
    BeforeEach {
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
        Reset-TokenAuthEmulator -Emulator $Emulator
    }

    Describe '1. Piped objects never choose where the credential goes or which secret is read' {
        BeforeAll {
            # An attacker's listener: it is enough that anything connects to it.
            $script:Attacker = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $Attacker.Start()
            $script:AttackerUri = "http://127.0.0.1:$($Attacker.LocalEndpoint.Port)/"
        }
        AfterAll { $Attacker.Stop() }

        It '<Command> ignores BaseUri, SecretName, Vault and Scope properties of piped objects' -ForEach @(
            @{ Command = 'Invoke-AuthenticatedRequest' }, @{ Command = 'Get-ProviderToken' }, @{ Command = 'Get-WhoAmI' }
        ) {
            $item = [pscustomobject]@{ Provider = 'PipeSafe'; Uri = 'resources/sample'; BaseUri = $AttackerUri; SecretName = 'TokenAuth.Akiba'; Vault = 'AttackerVault'; Scope = 'admin' }

            $output = @($item | & $Command -TimeoutSec 5 -ErrorVariable failures -ErrorAction SilentlyContinue)

            $Attacker.Pending() | Should -BeFalse -Because 'nothing may connect to a host named by a piped object'
            $failures | Should -BeNullOrEmpty
            $output.Count | Should -Be 1
            $cached = @(Get-ProviderTokenCache -Provider PipeSafe)
            $cached.Count | Should -Be 1
            $cached[0].BaseUri | Should -Be (Base oauth2)
            $cached[0].Scope | Should -BeNullOrEmpty -Because 'the piped scope is not asked for'
        }

        It 'Revoke-ProviderToken ignores a piped BaseUri too' {
            $null = Get-ProviderToken PipeSafe
            [pscustomobject]@{ Provider = 'PipeSafe'; BaseUri = $AttackerUri } | Revoke-ProviderToken -Confirm:$false -TimeoutSec 5 | Out-Null

            $Attacker.Pending() | Should -BeFalse
            Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/revoke' | Should -Be 1
        }

        It 'a -Credential is sent only to a provider named on the command line, never to one a piped object names' {
            $credential = Get-TestCredential $OAuth2.clientId $OAuth2.clientSecret

            $item = [pscustomobject]@{ Provider = 'PipeSafe'; Uri = 'resources/sample' }
            $item | Invoke-AuthenticatedRequest -Credential $credential -ErrorVariable failures -ErrorAction SilentlyContinue | Out-Null

            $failures.FullyQualifiedErrorId | Should -Be 'UnsafeRequest,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
            "$($failures.Exception.Message)" | Should -Match '-Provider'
            Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -BeNullOrEmpty
            # Named on the command line, the same call works.
            ($item | Invoke-AuthenticatedRequest PipeSafe -Credential $credential).provider | Should -Be 'oauth2'
        }
    }

    Describe '2. Provider values that would become headers are checked when they arrive' {
        It 'a token holding <Name> is refused as MalformedProviderResponse naming <Field>, and nothing is sent with it' -ForEach @(
            @{ Name = 'CR LF and a header'; Field = 'access_token'; Body = '{"access_token":"abc\r\nX-Injected: yes","token_type":"Bearer","expires_in":3600}' }
            @{ Name = 'a bare LF'; Field = 'access_token'; Body = '{"access_token":"abc\nX-Injected: yes","token_type":"Bearer","expires_in":3600}' }
            @{ Name = 'a space'; Field = 'access_token'; Body = '{"access_token":"abc X-Injected","token_type":"Bearer","expires_in":3600}' }
            @{ Name = 'a scheme with CR LF'; Field = 'token_type'; Body = '{"access_token":"abc","token_type":"Bearer\r\nX-Injected: yes","expires_in":3600}' }
            @{ Name = 'a scheme that is not a token'; Field = 'token_type'; Body = '{"access_token":"abc","token_type":"Bea rer","expires_in":3600}' }
        ) {
            Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider oauth2 -Endpoint token -StatusCode 200 -Body $Body

            $lines = Invoke-AuthenticatedRequest PipeSafe -Uri 'resources/open' -ErrorVariable failures -ErrorAction SilentlyContinue -Verbose *>&1

            $failures.FullyQualifiedErrorId | Should -Be 'MalformedProviderResponse,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
            $failures.Exception.Field | Should -Be $Field
            Join-StreamText $lines $failures | Should -Not -Match 'abc|X-Injected|Bea rer'
            Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/open' | Should -BeNullOrEmpty
        }

        It 'a token found in the API''s own address (127.0) hides that address where it is shown, and the call goes on' {
            Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider oauth2 -Endpoint token -StatusCode 200 -Body '{"access_token":"127.0","token_type":"Bearer","expires_in":3600}'

            # The emulator does not know that token: it answers 401, and the cmdlet renews once and sends again.
            $lines = Invoke-AuthenticatedRequest PipeSafe -Uri 'resources/sample' -ErrorVariable failures -ErrorAction SilentlyContinue -Verbose *>&1

            $failures | Should -BeNullOrEmpty
            @($lines | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).provider | Should -Be 'oauth2'
            ($lines | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'https://address-hidden\.invalid/oauth2/resources/sample'
            Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -Be 2
        }

        It 'a vault or -Credential value with a line break is refused before it reaches a header (APIMW''s Secret-Key)' {
            $credential = Get-TestCredential $Session.Credentials.apimw.apiKey "secret`r`nX-Injected: yes"

            $lines = Get-ProviderToken APIMW -BaseUri (Base APIMW) -Credential $credential -ErrorVariable failures -ErrorAction SilentlyContinue -Verbose *>&1

            $failures.FullyQualifiedErrorId | Should -Be 'InvalidCredential,TokenAuth.Commands.GetProviderTokenCommand'
            "$($failures.Exception.Message)" | Should -Match 'ApiSecret'
            Join-StreamText $lines $failures | Should -Not -Match 'X-Injected'
            Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'apimw/token' | Should -BeNullOrEmpty
        }
    }

    Describe '3. CI masking registers exactly the value, line by line too' {
        BeforeAll {
            # How each agent reads a command's value back (azure-pipelines-agent CommandStringConvertor.Unescape with
            # DECODE_PERCENTS on, its default; actions/runner ActionCommand's data unescaping).
            function Read-AzureMask([string] $Line) {
                $value = $Line.Substring('##vso[task.setsecret]'.Length)
                foreach ($pair in @(@('%3B', ';'), @('%0D', "`r"), @('%0A', "`n"), @('%5D', ']'), @('%AZP25', '%'))) { $value = $value.Replace($pair[0], $pair[1]) }
                $value
            }
            function Read-GitHubMask([string] $Line) {
                $value = $Line.Substring('::add-mask::'.Length)
                foreach ($pair in @(@('%0D', "`r"), @('%0A', "`n"), @('%25', '%'))) { $value = $value.Replace($pair[0], $pair[1]) }
                $value
            }
            function Get-RegisteredMask([string[]] $Lines) {
                foreach ($line in $Lines) {
                    if ($line.StartsWith('##vso[task.setsecret]')) { [pscustomobject]@{ Agent = 'Azure'; Value = Read-AzureMask $line } }
                    elseif ($line.StartsWith('::add-mask::')) { [pscustomobject]@{ Agent = 'GitHub'; Value = Read-GitHubMask $line } }
                }
            }
        }

        It 'Get-ProviderToken -AsPlainText: a token holding %0A, %25, ; and ] is registered as itself with both agents' {
            $token = 'tok%0Aen%25x;y]z%AZP25w'
            Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider oauth2 -Endpoint token -StatusCode 200 -Body "{`"access_token`":`"$token`",`"token_type`":`"Bearer`",`"expires_in`":3600}"
            $credential = Get-TokenAuthCredentialScript $OAuth2
            $script = "Register-TokenAuthProvider '$(Join-Path $TestDrive 'PipeSafe.json')' | Out-Null; Get-ProviderToken PipeSafe -Credential ($credential) -AsPlainText"

            $lines = Invoke-TokenAuthFreshPwsh $script -Environment @{ TF_BUILD = 'True'; GITHUB_ACTIONS = 'true' }

            $lines[-1] | Should -BeExactly $token
            $masks = @(Get-RegisteredMask $lines)
            ($masks | Where-Object Agent -EQ Azure).Value | Should -BeExactly $token
            ($masks | Where-Object Agent -EQ GitHub).Value | Should -BeExactly $token
        }

        It 'Initialize-TokenAuthVault.ps1: a multi-line secret is registered whole and line by line with <Name>' -ForEach @(
            @{ Name = 'Azure DevOps'; Variable = 'TF_BUILD'; Agent = 'Azure' }
            @{ Name = 'GitHub Actions'; Variable = 'GITHUB_ACTIONS'; Agent = 'GitHub' }
        ) {
            $secret = "first-line%0A;]`nsecond%25line`r`nthird line"
            $script = "& '$(Join-Path $PSScriptRoot '../../examples/Initialize-TokenAuthVault.ps1')' -Provider APIMW -ResetSecretStore"

            $lines = Invoke-TokenAuthFreshPwsh $script -IsolatedHome (Join-Path $TestDrive "$Variable-home") -Environment @{
                $Variable = 'true'; TOKENAUTH_API_KEY = 'key-0123456789'; TOKENAUTH_API_SECRET = $secret
            }

            $registered = @(Get-RegisteredMask $lines | Where-Object Agent -EQ $Agent).Value
            $registered | Should -Contain $secret
            foreach ($line in 'first-line%0A;]', 'second%25line', 'third line') { $registered | Should -Contain $line }
            foreach ($line in $lines | Where-Object { $_ -notmatch '^(##vso\[task\.setsecret\]|::add-mask::)' }) {
                $line | Should -Not -Match 'first-line|second%25line|third line'
            }
        }
    }

    Describe '4. Bodies that are not the caller''s result are read only up to a small cap' {
        It 'a 500 whose gzip body inflates to 128 MiB grows the peak working set by under 32 MB, and ResponseBody holds at most 64 KiB' {
            $flood = 'resources/flood?status=500&gzip=1&size=134217728'
            $script = @"
Register-TokenAuthProvider '$(Join-Path $TestDrive 'PipeSafe.json')' | Out-Null
`$credential = $(Get-TokenAuthCredentialScript $OAuth2)
Invoke-AuthenticatedRequest PipeSafe -Credential `$credential -Uri 'resources/flood?status=500&gzip=1&size=200000' -ErrorAction SilentlyContinue
[GC]::Collect()
`$process = [System.Diagnostics.Process]::GetCurrentProcess()
`$before = `$process.PeakWorkingSet64
Invoke-AuthenticatedRequest PipeSafe -Credential `$credential -Uri '$flood' -ErrorVariable failure -ErrorAction SilentlyContinue
`$process.Refresh()
"grown=`$(`$process.PeakWorkingSet64 - `$before)"
"id=`$(`$failure[0].FullyQualifiedErrorId)"
"body=`$(`$failure[0].Exception.ResponseBody.Length)"
"@
            $lines = Invoke-TokenAuthFreshPwsh $script

            $values = @{}
            foreach ($line in $lines) { if ($line -match '^(\w+)=(.*)$') { $values[$Matches[1]] = $Matches[2] } }
            $values.id | Should -Be 'RequestFailed,TokenAuth.Commands.InvokeAuthenticatedRequestCommand' -Because ($lines -join "`n")
            [long] $values.grown | Should -BeLessThan 32MB
            [int] $values.body | Should -BeGreaterThan 0
            [int] $values.body | Should -BeLessOrEqual 65536
        }

        It 'a 500 that sends 2 MB of a 10 MB body and stalls is reported at once, not after the stall' {
            # The stall outlasts -TimeoutSec: had the error body been read to its end, the call would have timed out instead.
            Invoke-AuthenticatedRequest PipeSafe -Uri 'resources/flood?status=500&size=10485760&stallAfter=2097152&ms=600000' -TimeoutSec 20 -ErrorVariable failure -ErrorAction SilentlyContinue

            $failure.FullyQualifiedErrorId | Should -Be 'RequestFailed,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
            $failure.Exception.StatusCode | Should -Be 500
        }

        It 'a token endpoint''s error body is capped the same way' {
            Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider oauth2 -Endpoint token -StatusCode 500 -Delivery OversizedChunked -Size 8MB

            Get-ProviderToken PipeSafe -ErrorVariable failure -ErrorAction SilentlyContinue

            $failure.FullyQualifiedErrorId | Should -Be 'ProviderRejectedToken,TokenAuth.Commands.GetProviderTokenCommand'
            $failure.Exception.ResponseBody.Length | Should -BeGreaterThan 0
            $failure.Exception.ResponseBody.Length | Should -BeLessOrEqual 65536
        }
    }

    Describe '5. Every secret-bearing field takes part in the cache key' {
        It 'credentials differing only in <Field> never share a token' -ForEach @(
            @{ Field = 'ApiKey' }, @{ Field = 'ClientCredential' }, @{ Field = 'ApiSecret' }, @{ Field = 'ClientSecret' }
        ) {
            $name = "Keyed$Field"
            Register-EmulatorDefinition -Name $name -Fields 'ClientId', $Field -TokenFields @{ grant_type = 'client_credentials'; client_id = '{ClientId}'; client_secret = "{$Field}" }
            Set-Secret -Name "$name.admin" -Secret @{ ClientId = $OAuth2.clientId; $Field = $OAuth2.clientSecret } -Vault $Session.VaultName
            Set-Secret -Name "$name.readonly" -Secret @{ ClientId = $OAuth2.clientId; $Field = 'key-readonly-0000' } -Vault $Session.VaultName

            $null = Get-ProviderToken $name -SecretName "$name.admin"
            Get-ProviderToken $name -SecretName "$name.readonly" -ErrorVariable failure -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

            $failure.FullyQualifiedErrorId | Should -Be 'ProviderRejectedToken,TokenAuth.Commands.GetProviderTokenCommand'
            Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'oauth2/token' | Should -Be 2
        }
    }

    Describe '6. A secret the provider echoes in an encoded form is scrubbed too' {
        It 'JSON-escaped, percent-encoded and base64 forms of the secret leave no trace in the error' {
            $secret = "Zx/9+Qw $([char] 0xE9)&=42"
            $clientId = 'echo-client'
            $percent = [uri]::EscapeDataString($secret)
            $lowerHex = [regex]::Replace($percent, '%[0-9A-F]{2}', { $args[0].Value.ToLowerInvariant() })
            $basic = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("$([uri]::EscapeDataString($clientId)):$percent"))
            $plainBase64 = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($secret))
            $body = '{"error":"invalid_client","error_description":"bad secret Zx\/9\u002BQw \u00e9\u0026=42","got":"' + $percent + '","lower":"' + $lowerHex +
                '","form":"' + $percent.Replace('%20', '+') + '","basic":"Basic ' + $basic + '","raw64":"' + $plainBase64 + '"}'
            Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider oauth2 -Endpoint token -StatusCode 401 -Body $body

            $lines = Get-ProviderToken PipeSafe -Credential (Get-TestCredential $clientId $secret) -ErrorVariable failure -ErrorAction SilentlyContinue -Verbose -Debug *>&1

            $failure.FullyQualifiedErrorId | Should -Be 'ProviderRejectedToken,TokenAuth.Commands.GetProviderTokenCommand'
            $failure.Exception.ProviderCode | Should -Be 'invalid_client'
            $text = (Join-StreamText $lines $failure) + "`n" + $failure.Exception.ProviderMessage
            foreach ($form in 'Zx\/9\u002BQw', 'Zx/9+Qw', $percent, $lowerHex, $percent.Replace('%20', '+'), $basic, $plainBase64) {
                $text | Should -Not -Match ([regex]::Escape($form)) -Because "'$form' is a form of the secret"
            }
        }
    }

    Describe '7. -OutFile''s temporary file is its own' {
        It 'leaves a user''s own X.partial alone when a download fails' {
            $target = Join-Path $TestDrive 'report.bin'
            Set-Content "$target.partial" 'mine'

            Invoke-AuthenticatedRequest PipeSafe -Uri 'resources/bytes?size=1048576&cut=131072' -OutFile $target -ErrorVariable failure -ErrorAction SilentlyContinue

            $failure.FullyQualifiedErrorId | Should -Be 'ProviderUnreachable,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
            Get-Content "$target.partial" | Should -Be 'mine'
            @(Get-ChildItem $TestDrive -Force | Where-Object Name -Like 'report.bin*').Name | Should -Be @('report.bin.partial') -Because 'no temporary file of ours is left'
        }

        It 'does not follow a link planted where a temporary file might go' -Skip:$IsWindows {
            $target = Join-Path $TestDrive 'linked.bin'
            $victim = Join-Path $TestDrive 'victim.txt'
            Set-Content $victim 'precious'
            $null = New-Item -ItemType SymbolicLink -Path "$target.partial" -Target $victim

            Invoke-AuthenticatedRequest PipeSafe -Uri 'resources/bytes?size=65536' -OutFile $target

            Get-Content $victim | Should -Be 'precious'
            (Get-Item $target).Length | Should -Be 65536
        }

        It 'two downloads to the same target both succeed and leave a whole file' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
            $target = Join-Path $TestDrive 'same.bin'
            $module = $Session.Manifest
            $credential = Get-TestCredential $OAuth2.clientId $OAuth2.clientSecret
            $definition = Join-Path $TestDrive 'PipeSafe.json'

            $results = 1..2 | ForEach-Object -ThrottleLimit 2 -Parallel {
                Import-Module $using:module
                Register-TokenAuthProvider $using:definition | Out-Null
                Invoke-AuthenticatedRequest PipeSafe -Credential $using:credential -Uri 'resources/bytes?size=8388608' -OutFile $using:target -ErrorAction Continue 2>&1 | ForEach-Object { "$_" }
                'done'
            }

            $results | Should -Be @('done', 'done')
            (Get-Item $target).Length | Should -Be 8388608
            @(Get-ChildItem $TestDrive -Force | Where-Object Name -Like '*same.bin?*') | Should -BeNullOrEmpty
        }

        It 'does not reserve what a server merely announces: a 1 TB Content-Length is no disk error' {
            $target = Join-Path $TestDrive 'huge.bin'

            Invoke-AuthenticatedRequest PipeSafe -Uri 'resources/bytes?size=1099511627776&cut=65536' -OutFile $target -ErrorVariable failure -ErrorAction SilentlyContinue

            $failure.FullyQualifiedErrorId | Should -Be 'ProviderUnreachable,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
            Test-Path $target | Should -BeFalse
        }
    }

    Describe '8. Redaction: nameless query values, user information, fragments, and more credential names' {
        It 'Verbose and Debug show no nameless query value, URL password or fragment' {
            $port = ([uri] (Base oauth2)).Port
            $lines = @(
                Invoke-AuthenticatedRequest PipeSafe -Uri 'resources/echo?nameless-secret-value#access_token=fragment-secret' -Verbose -Debug 4>&1 5>&1 | Where-Object { $_ -is [System.Management.Automation.InformationalRecord] }
                Invoke-AuthenticatedRequest PipeSafe -Uri "http://someone:url-password@127.0.0.1:$port/oauth2/resources/echo" -Verbose -Debug 4>&1 5>&1 | Where-Object { $_ -is [System.Management.Automation.InformationalRecord] }
            )

            $text = Join-StreamText $lines @()
            $text | Should -Match 'resources/echo'
            $text | Should -Not -Match 'nameless-secret-value|fragment-secret|url-password'
        }

        It 'masks <Header> at Debug and drops it on a redirect to another origin' -ForEach @(
            @{ Header = 'DPoP' }, @{ Header = 'X-Auth' }, @{ Header = 'X-JWT-Assertion' }, @{ Header = 'Passphrase' }, @{ Header = 'client_assertion' }
        ) {
            $foreign = (Base oauth2).Replace('127.0.0.1', 'localhost') + '/resources/open'
            $value = "value-of-$Header"

            $redirect = "resources/redirect?to=$([uri]::EscapeDataString($foreign))"

            $lines = Invoke-AuthenticatedRequest PipeSafe -Uri $redirect -Headers @{ $Header = $value } -Debug 5>&1 | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }
            $received = (Invoke-AuthenticatedRequest PipeSafe -Uri $redirect -Headers @{ $Header = $value }).headers

            Join-StreamText $lines @() | Should -Match ([regex]::Escape("${Header}: ***"))
            Join-StreamText $lines @() | Should -Not -Match ([regex]::Escape($value))
            $received | Should -Contain 'Host' -Because 'the foreign endpoint answered'
            $received | Should -Not -Contain $Header
            $received | Should -Not -Contain 'Authorization'
        }
    }

    Describe '9. Robustness' {
        It 'a malformed next link is MalformedProviderResponse, after the page''s items, and the pipeline goes on' {
            Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider oauth2 -Endpoint pages -StatusCode 200 -Body '{"data":[1,2],"next":"http://["}'

            $items = 'resources/pages/link', 'resources/pages/jsonapi?pages=1&size=2' |
                Invoke-AuthenticatedRequest PipeSafe -NextLinkPath next -ItemsPath data -ErrorVariable failures -ErrorAction SilentlyContinue

            $items[0..1] | Should -Be @(1, 2)
            $items[2].id | Should -Be 1 -Because 'the next piped item is still requested'
            $failures.FullyQualifiedErrorId | Should -Be 'MalformedProviderResponse,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
            $failures.Exception.Field | Should -Be 'next'
        }

        It 'a relative -Uri that climbs out of the base URI''s path (<Uri>) is refused and not sent' -ForEach @(
            @{ Uri = '../../_emulator/counters' }, @{ Uri = 'resources/../../akiba/resources/open' }, @{ Uri = '%2e%2e/akiba/resources/open' }, @{ Uri = 'resources/..%2f..%2fakiba/resources/open' }
        ) {
            Invoke-AuthenticatedRequest PipeSafe -Uri $Uri -ErrorVariable failure -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

            $failure.FullyQualifiedErrorId | Should -Be 'UnsafeRequest,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
            Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'akiba/open' | Should -BeNullOrEmpty
        }

        It 'an absolute expiry more than 10 years away is refused, as a lifetime in seconds is (<Format>)' -ForEach @(
            @{ Format = 'UnixTime'; Field = 'expires_at'; Value = '32503680000' }
            @{ Format = 'DateTime'; Field = 'expires_on'; Value = '"2999-01-01T00:00:00Z"' }
        ) {
            Register-EmulatorDefinition -Name "Expiry$Format" -Expiry @(@{ path = $Field; format = $Format })
            Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider oauth2 -Endpoint token -StatusCode 200 -Body "{`"access_token`":`"abc`",`"token_type`":`"Bearer`",`"$Field`":$Value}"

            Get-ProviderToken "Expiry$Format" -Credential (Get-TestCredential $OAuth2.clientId $OAuth2.clientSecret) -ErrorVariable failure -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

            $failure.FullyQualifiedErrorId | Should -Be 'MalformedProviderResponse,TokenAuth.Commands.GetProviderTokenCommand'
            $failure.Exception.Field | Should -Be $Field
        }

        It 'a slow token answer does not lengthen the token''s life: its clock starts when the request is sent' {
            Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider oauth2 -Endpoint token -StatusCode 200 -DelayMilliseconds 3000 -Body '{"access_token":"abc","token_type":"Bearer","expires_in":3600}'
            $sent = [DateTime]::UtcNow

            $token = Get-ProviderToken PipeSafe

            $token.ExpiresOn | Should -BeLessOrEqual $sent.AddSeconds(3601)
        }
    }
}
