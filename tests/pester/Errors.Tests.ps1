# Every TokenAuth failure reaches PowerShell as an ErrorRecord of ours: stable id, category, target object,
# ErrorDetails with the provider's own message, and the common error parameters behaving as with any cmdlet.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'Tests build credentials from the emulator''s published demo values.')]
param ()

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json')
    $script:Emulator = $Session.Emulator

    function Base([string] $Provider) { Get-TokenAuthEmulatorBaseUri -Emulator $script:Emulator -Provider $Provider }
    function Fault([hashtable] $Fault) { if ($Fault) { Add-TokenAuthEmulatorFault -Emulator $script:Emulator @Fault } }

    # A loopback port with nothing listening.
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $script:ClosedPort = $listener.LocalEndpoint.Port
    $listener.Stop()
}

AfterAll {
    Exit-TokenAuthTestSession -Session $Session
}

BeforeDiscovery {
    # Each error id through the cmdlet that users meet it in. Base names a provider whose emulator base URI is used;
    # Unreachable, a closed port instead. Details: what ErrorDetails is expected to say (provider, call, status and code, the provider's words).
    $script:Cases = @(
        @{ Command = 'Get-ProviderToken'; Id = 'ProviderRejectedToken'; Category = 'AuthenticationError'; Case = 'the provider refuses the credential'
            Arguments = @{ Provider = 'APIMW' }; Base = 'APIMW'; Fault = @{ Provider = 'APIMW'; Endpoint = 'token'; StatusCode = 401 }; Details = 'APIMW token request refused (401 INJECTED_FAULT): Injected fault 401' }
        @{ Command = 'Get-ProviderToken'; Id = 'ProviderRejectedRefresh'; Category = 'AuthenticationError'; Case = 'the refresh endpoint fails (-Force renews with the refresh token)'
            Arguments = @{ Provider = 'APIMW'; Force = $true }; Base = 'APIMW'; Warm = $true; Fault = @{ Provider = 'APIMW'; Endpoint = 'refresh'; StatusCode = 500 }; Details = 'APIMW token refresh refused (500 INJECTED_FAULT): Injected fault 500' }
        @{ Command = 'Get-ProviderToken'; Id = 'MalformedProviderResponse'; Category = 'InvalidData'; Case = 'the token answer lacks the token'
            Arguments = @{ Provider = 'Ankorstore' }; Base = 'Ankorstore'; Message = "'access_token'"
            Fault = @{ Provider = 'Ankorstore'; Endpoint = 'token'; StatusCode = 200; Body = '{"token_type":"Bearer","expires_in":3600}' } }
        @{ Command = 'Get-ProviderToken'; Id = 'ProviderUnreachable'; Category = 'ConnectionError'; Case = 'nothing listens at the base URI'
            Arguments = @{ Provider = 'Ankorstore' }; Unreachable = $true }
        @{ Command = 'Get-ProviderToken'; Id = 'InvalidCredential'; Category = 'InvalidArgument'; Case = 'a CoreBanking client id is over 100 characters'
            Arguments = @{ Provider = 'CoreBanking' }; Base = 'CoreBanking'; LongClientId = $true; Message = 'at most 100' }
        @{ Command = 'Get-ProviderToken'; Id = 'InvalidProviderConfiguration'; Category = 'InvalidArgument'; Case = 'CoreBanking has no base URI'
            Arguments = @{ Provider = 'CoreBanking' }; Message = 'BaseUri' }
        @{ Command = 'Get-ProviderToken'; Id = 'SecretNotFound'; Category = 'ObjectNotFound'; Case = 'the secret is missing'
            Arguments = @{ Provider = 'Akiba'; SecretName = 'NoSuchSecret' }; Base = 'Akiba'; Message = "NoSuchSecret" }
        @{ Command = 'Get-ProviderToken'; Id = 'SecretVaultNotFound'; Category = 'ObjectNotFound'; Case = 'the vault does not exist'
            Arguments = @{ Provider = 'Akiba'; Vault = 'NoSuchVault' }; Base = 'Akiba'; Message = 'NoSuchVault' }
        @{ Command = 'Get-ProviderToken'; Id = 'SecretVaultFailed'; Category = 'ReadError'; Case = 'the vault fails'
            Arguments = @{ Provider = 'Akiba' }; Base = 'Akiba'; BrokenVault = $true; Message = 'corrupt' }
        @{ Command = 'Invoke-AuthenticatedRequest'; Id = 'RequestFailed'; Category = 'ObjectNotFound'; Case = 'the API answers 404'
            Arguments = @{ Provider = 'APIMW'; Uri = 'resources/status/404' }; Base = 'APIMW'; Details = 'APIMW request refused (404 STATUS_404): Status 404 as asked' }
        @{ Command = 'Invoke-AuthenticatedRequest'; Id = 'RequestFailed'; Category = 'PermissionDenied'; Case = 'the API answers 403'
            Arguments = @{ Provider = 'APIMW'; Uri = 'resources/status/403' }; Base = 'APIMW'; Details = 'APIMW request refused (403 STATUS_403): Status 403 as asked' }
        @{ Command = 'Invoke-AuthenticatedRequest'; Id = 'RequestFailed'; Category = 'LimitsExceeded'; Case = 'the API answers 429 and no retry is allowed'
            Arguments = @{ Provider = 'Akiba'; Uri = 'resources/status/429'; MaximumRetryCount = 0 }; Base = 'Akiba' }
        @{ Command = 'Invoke-AuthenticatedRequest'; Id = 'RequestFailed'; Category = 'ResourceUnavailable'; Case = 'the API answers 503 and no retry is allowed'
            Arguments = @{ Provider = 'Akiba'; Uri = 'resources/status/503'; MaximumRetryCount = 0 }; Base = 'Akiba' }
        @{ Command = 'Invoke-AuthenticatedRequest'; Id = 'ProviderTimeout'; Category = 'OperationTimeout'; Case = 'the API is slower than -TimeoutSec'
            Arguments = @{ Provider = 'Akiba'; Uri = 'resources/slow?ms=5000'; TimeoutSec = 1; MaximumRetryCount = 0 }; Base = 'Akiba' }
        @{ Command = 'Invoke-AuthenticatedRequest'; Id = 'ProviderUnreachable'; Category = 'ConnectionError'; Case = 'the answer breaks off partway'
            Arguments = @{ Provider = 'Akiba'; Uri = 'resources/bytes?size=1048576&cut=65536'; OutFile = 'download.bin' }; Base = 'Akiba'; Message = 'closed before the whole answer arrived' }
        @{ Command = 'Invoke-AuthenticatedRequest'; Id = 'OutFileFailed'; Category = 'WriteError'; Case = '-OutFile names a folder that does not exist'
            Arguments = @{ Provider = 'Akiba'; Uri = 'resources/bytes?size=1024'; OutFile = 'no-such-folder/download.bin' }; Base = 'Akiba'; Message = 'no-such-folder/download\.bin' }
        @{ Command = 'Invoke-AuthenticatedRequest'; Id = 'UnsafeRequest'; Category = 'SecurityError'; Case = 'the URI is on another origin'
            Arguments = @{ Provider = 'Akiba'; Uri = 'https://attacker.example/x?key=abc' }; Base = 'Akiba'; Message = 'not on Akiba' }
        @{ Command = 'Invoke-AuthenticatedRequest'; Id = 'InvalidRequest'; Category = 'InvalidArgument'; Case = '-CustomMethod is not an HTTP method'
            Arguments = @{ Provider = 'Akiba'; Uri = 'resources/echo'; CustomMethod = 'NOT A METHOD' }; Base = 'Akiba'; Message = 'is not an HTTP method' }
        @{ Command = 'Get-WhoAmI'; Id = 'NotSupportedByProvider'; Category = 'NotImplemented'; Case = 'CoreBanking has no who-am-I'
            Arguments = @{ Provider = 'CoreBanking' }; Base = 'CoreBanking' }
        @{ Command = 'Get-WhoAmI'; Id = 'ProviderRejectedWhoAmI'; Category = 'PermissionDenied'; Case = 'the who-am-I endpoint answers 403'
            Arguments = @{ Provider = 'Ankorstore' }; Base = 'Ankorstore'; Fault = @{ Provider = 'Ankorstore'; Endpoint = 'whoami'; StatusCode = 403 } }
        @{ Command = 'Revoke-ProviderToken'; Id = 'ProviderRejectedRevoke'; Category = 'ResourceUnavailable'; Case = 'the revoke endpoint answers 500'
            Arguments = @{ Provider = 'APIMW'; Confirm = $false }; Base = 'APIMW'; Fault = @{ Provider = 'APIMW'; Endpoint = 'revoke'; StatusCode = 500 }
            Details = 'APIMW token revocation refused (500 INJECTED_FAULT): Injected fault 500'; Output = $true }
        @{ Command = 'Register-TokenAuthProvider'; Id = 'InvalidProviderConfiguration'; Category = 'InvalidArgument'; Case = 'a definition is broken'
            Arguments = @{}; BrokenDefinition = $true; Message = '\$\.token\.encoding' }
    )
    $script:AfterAwait = $Cases | Where-Object { $_.Base -and ($_.Fault -or $_.Id -in 'RequestFailed', 'NotSupportedByProvider') } |
        Group-Object { $_.Command } | ForEach-Object { $_.Group[0] }
}

Describe 'Each error id, through the cmdlet' {
    BeforeEach {
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
        Reset-TokenAuthEmulator -Emulator $Emulator
    }

    It '<Command> fails with <Id> (<Category>) when <Case>' -ForEach $Cases {
        $arguments = $Arguments.Clone()
        if ($Base) { $arguments.BaseUri = Base $Base }
        if ($Unreachable) { $arguments.BaseUri = "http://127.0.0.1:$ClosedPort/" }
        if ($arguments.OutFile) { $arguments.OutFile = Join-Path $TestDrive $arguments.OutFile }
        if ($LongClientId) { $arguments.Credential = [pscredential]::new('c' * 101, (ConvertTo-SecureString 'long-id-secret-zz' -AsPlainText -Force)) }
        if ($BrokenVault) {
            $arguments.Vault = $Session.VaultName + 'Broken'
            Register-TokenAuthTestVault -Name $arguments.Vault -Path (Join-Path $TestDrive 'vault.json') -Broken
        }
        if ($BrokenDefinition) {
            $arguments.Path = Join-Path $TestDrive 'broken.json'
            '{ "name": "Broken", "credential": { "fields": ["ClientId"] }, "token": { "path": "/t", "encoding": "Xml" } }' | Set-Content $arguments.Path
        }
        if ($Warm -or $Command -eq 'Revoke-ProviderToken') { $null = Get-ProviderToken -Provider $arguments.Provider -BaseUri $arguments.BaseUri }
        Fault $Fault

        try {
            $output = & $Command @arguments -ErrorVariable failures -ErrorAction SilentlyContinue
        }
        finally {
            if ($BrokenVault) { Unregister-SecretVault -Name $arguments.Vault }
        }

        $failures.Count | Should -Be 1
        $record = $failures[0]
        $record | Should -BeOfType ([System.Management.Automation.ErrorRecord])
        $class = (Get-Command $Command).ImplementingType.FullName
        $record.FullyQualifiedErrorId | Should -BeExactly "$Id,$class"
        $record.CategoryInfo.Category | Should -Be $Category
        $record.Exception | Should -BeOfType ([TokenAuth.Errors.TokenAuthException]) -Because 'the engine''s own exception, never an AggregateException'
        $expectedTarget = if ($Command -eq 'Invoke-AuthenticatedRequest') { $arguments.Uri } elseif ($arguments.Path) { $arguments.Path } else { $arguments.Provider }
        $record.TargetObject | Should -Be $expectedTarget
        if ($Details) {
            $record.ErrorDetails.Message | Should -BeExactly $Details
        }
        if ($Message) { $record.Exception.Message | Should -Match $Message }
        if ($Output) { $output.Forgotten | Should -BeTrue -Because 'the session forgets the token even when the provider cannot be told' }
        else { $output | Should -BeNullOrEmpty }
        foreach ($secret in @($Session.Secrets) + 'long-id-secret-zz') {
            "$record $($record.ErrorDetails)" | Should -Not -Match ([regex]::Escape($secret))
        }
    }
}

Describe 'The common error parameters, for an error that comes after a provider call' {
    BeforeEach {
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
        Reset-TokenAuthEmulator -Emulator $Emulator
        $script:Arguments = $Arguments.Clone()
        $script:Arguments.BaseUri = Base $Base
        if ($Command -eq 'Revoke-ProviderToken') { $null = Get-ProviderToken -Provider $script:Arguments.Provider -BaseUri $script:Arguments.BaseUri }
        Fault $Fault
        $script:ErrorId = "$Id,$((Get-Command $Command).ImplementingType.FullName)"
    }

    It '<Command>: -ErrorAction Stop throws the ErrorRecord, which try/catch sees' -ForEach $AfterAwait {
        $caught = $null
        try { $null = & $Command @script:Arguments -ErrorAction Stop } catch { $caught = $_ }

        $caught.FullyQualifiedErrorId | Should -BeExactly $ErrorId
        $caught.Exception | Should -BeOfType ([TokenAuth.Errors.TokenAuthException])
    }

    It '<Command>: $ErrorActionPreference = ''Stop'' makes it terminating too' -ForEach $AfterAwait {
        $caught = $null
        try {
            $ErrorActionPreference = 'Stop'
            $null = & $Command @script:Arguments
        }
        catch { $caught = $_ }
        finally { $ErrorActionPreference = 'Continue' }

        $caught.FullyQualifiedErrorId | Should -BeExactly $ErrorId
    }

    It '<Command>: -ErrorAction Continue writes the error and the script goes on' -ForEach $AfterAwait {
        $streams = & { & $Command @script:Arguments -ErrorAction Continue; 'went on' } 2>&1

        ($streams | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).FullyQualifiedErrorId | Should -BeExactly $ErrorId
        $streams[-1] | Should -Be 'went on'
    }

    It '<Command>: -ErrorAction SilentlyContinue sets $? to false and records the error in $Error' -ForEach $AfterAwait {
        $Error.Clear()
        $null = & $Command @script:Arguments -ErrorAction SilentlyContinue
        $succeeded = $?

        $succeeded | Should -BeFalse
        $Error[0].FullyQualifiedErrorId | Should -BeExactly $ErrorId
    }

    It '<Command>: -ErrorAction Ignore leaves no trace in $Error, yet $? is false' -ForEach $AfterAwait {
        $Error.Clear()
        $null = & $Command @script:Arguments -ErrorAction Ignore
        $succeeded = $?

        $Error.Count | Should -Be 0
        $succeeded | Should -BeFalse
    }

    It '<Command>: -ErrorVariable collects the ErrorRecord' -ForEach $AfterAwait {
        $null = & $Command @script:Arguments -ErrorAction SilentlyContinue -ErrorVariable failures

        @($failures).Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeExactly $ErrorId
    }
}

Describe 'Errors are per item' {
    BeforeAll { Revoke-ProviderToken -All -Confirm:$false | Out-Null }

    It 'Invoke-AuthenticatedRequest goes on with the next piped target after a failing one' {
        # Token objects carry their base URI; a piped object can name a provider, never an address (CoreBanking has none).
        $targets = @(
            Get-ProviderToken Akiba -BaseUri (Base Akiba)
            [pscustomobject]@{ Provider = 'CoreBanking' }
            Get-ProviderToken APIMW -BaseUri (Base APIMW)
        )
        $results = $targets | Invoke-AuthenticatedRequest -Uri 'resources/sample' -ErrorVariable failures -ErrorAction SilentlyContinue

        $results.provider | Should -Be @('akiba', 'apimw')
        # As with Invoke-RestMethod, the target of a request's error is the request's URI.
        $failures.FullyQualifiedErrorId | Should -Be 'InvalidProviderConfiguration,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
        $failures.TargetObject | Should -Be 'resources/sample'
    }

    It 'Get-WhoAmI goes on with the next piped target after an unsupported one' {
        $targets = 'Akiba', 'CoreBanking', 'APIMW' | ForEach-Object { Get-ProviderToken $_ -BaseUri (Base $_) }
        $identities = $targets | Get-WhoAmI -ErrorVariable failures -ErrorAction SilentlyContinue

        $identities.Provider | Should -Be @('Akiba', 'APIMW')
        $failures.FullyQualifiedErrorId | Should -Be 'NotSupportedByProvider,TokenAuth.Commands.GetWhoAmICommand'
    }

    It 'Register-TokenAuthProvider registers the good files of a list and reports the bad one' {
        $bad = Join-Path $TestDrive 'bad.json'
        '{ "name": ' | Set-Content $bad
        $good = Join-Path $PSScriptRoot '../../examples/oauth2-client-secret-post.json'
        $registered = Register-TokenAuthProvider -Path $bad, $good -ErrorVariable failures -ErrorAction SilentlyContinue

        $registered.Count | Should -Be 1
        $failures.FullyQualifiedErrorId | Should -Be 'InvalidProviderConfiguration,TokenAuth.Commands.RegisterTokenAuthProviderCommand'
        $failures.TargetObject | Should -Be $bad
    }
}

Describe 'The default error view shows whose refusal, of what, and why' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
    BeforeAll {
        # Runs a command line as if typed at a prompt (no script file behind it, so the error view gives the error one
        # line, as a user at a console sees it) and returns what PowerShell 7's default error view shows, without colour.
        function Show-PromptError([string] $CommandLine, [object[]] $Arguments) {
            $record = @(& ([scriptblock]::Create($CommandLine)) @Arguments 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })[0]
            $saved = $global:ErrorView, $PSStyle.OutputRendering
            $global:ErrorView = 'ConciseView'
            $PSStyle.OutputRendering = 'PlainText'
            try { @(($record | Out-String -Width 400).Trim() -split '\r?\n' | ForEach-Object TrimEnd) }
            finally { $global:ErrorView, $PSStyle.OutputRendering = $saved }
        }
    }

    BeforeEach {
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
        Reset-TokenAuthEmulator -Emulator $Emulator
    }

    It 'a refused token request: provider, call, status and code, the provider''s words, then the recommendation' {
        $wrong = [pscredential]::new('wrong-client', (ConvertTo-SecureString 'wrong-secret-for-view' -AsPlainText -Force))

        $shown = @(Show-PromptError "Get-ProviderToken Ankorstore -BaseUri '$(Base Ankorstore)' -Credential `$args[0]" $wrong)

        $shown[0] | Should -BeExactly 'Get-ProviderToken: Ankorstore token request refused (401 invalid_client): Client authentication failed'
        # PowerShell 7.5 and later print the recommendation under the message; 7.4 keeps it in ErrorDetails only.
        if ($PSVersionTable.PSVersion -ge [version] '7.5') { ($shown -join "`n") | Should -Match 'Recommendation: Check the credential' }
        ($shown -join "`n") | Should -Not -Match 'wrong-secret-for-view'
    }

    It 'a 404 from the API: the status and the provider''s code before its words' {
        @(Show-PromptError "Invoke-AuthenticatedRequest APIMW 'resources/status/404' -BaseUri '$(Base APIMW)'")[0] |
            Should -BeExactly 'Invoke-AuthenticatedRequest: APIMW request refused (404 STATUS_404): Status 404 as asked'
    }

    It 'an unreachable provider: which provider, at which endpoint, and the connection''s own reason' {
        @(Show-PromptError "Get-ProviderToken Ankorstore -BaseUri 'http://127.0.0.1:$ClosedPort/'")[0] |
            Should -Match "^Get-ProviderToken: Could not reach Ankorstore at http://127\.0\.0\.1:$ClosedPort/oauth/token: Connection refused"
    }
}

Describe 'Get-ProviderToken -Decoded with -AsPlainText' {
    It 'is refused before any token is asked for (a token fetched for nothing may have meant a sign-in)' {
        Reset-TokenAuthEmulator -Emulator $Emulator
        { Get-ProviderToken APIMW -BaseUri (Base APIMW) -Decoded -AsPlainText } | Should -Throw -ErrorId 'InvalidRequest,TokenAuth.Commands.GetProviderTokenCommand'
        [int] (Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'apimw/token') | Should -Be 0
    }
}
