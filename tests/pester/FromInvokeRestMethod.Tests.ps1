# A script moving from Invoke-RestMethod keeps its parameters: each one TokenAuth shares with Invoke-RestMethod does
# what it does there, proven through the cmdlet against the emulator, and the migration table in
# about_TokenAuth_From_InvokeRestMethod has a row for every parameter Invoke-RestMethod has.
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'Tests build credentials from the emulator''s published demo values.')]
param ()

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json')
    $script:Emulator = $Session.Emulator
    $script:Base = Get-TokenAuthEmulatorBaseUri $Emulator APIMW

    function Get-Sha256([string] $Path) { (Get-FileHash -Algorithm SHA256 -LiteralPath $Path).Hash }
    # The emulator's /bytes pattern: position p holds (p % 65536) % 251.
    function Get-ExpectedByte([int] $Size) { [byte[]] (0..($Size - 1) | ForEach-Object { ($_ % 65536) % 251 }) }
}

AfterAll {
    Exit-TokenAuthTestSession -Session $Session
}

Describe 'Bodies as Invoke-RestMethod sends them' {
    It 'sends -Form as multipart/form-data: a field, and two files read back byte for byte' {
        $text = Join-Path $TestDrive 'notes.txt'
        $binary = Join-Path $TestDrive 'payload.bin'
        Set-Content -LiteralPath $text -Value "line one`nline two" -NoNewline
        [System.IO.File]::WriteAllBytes($binary, [byte[]] (0..255 + 255..0))

        $answer = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/upload -Method POST -Form @{ comment = 'quarterly upload'; files = (Get-Item $text), (Get-Item $binary) }

        $answer.contentType | Should -BeLike 'multipart/form-data; boundary=*'
        $answer.fields.comment | Should -Be 'quarterly upload'
        $answer.files.fileName | Should -Be @('notes.txt', 'payload.bin')
        $answer.files.name | Should -Be @('files', 'files')
        $answer.files.contentType | Should -Be @('application/octet-stream', 'application/octet-stream')
        $answer.files | ForEach-Object length | Should -Be @((Get-Item $text).Length, 512)
        $answer.files.sha256 | Should -Be @((Get-Sha256 $text), (Get-Sha256 $binary))
    }

    It 'keeps a file''s name from breaking the part''s headers' {
        $odd = Join-Path $TestDrive "evil`r`nContent-Type: text-html.txt"
        Set-Content -LiteralPath $odd -Value 'x' -NoNewline

        $answer = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/upload -Method POST -Form @{ file = Get-Item -LiteralPath $odd }

        $answer.files[0].fileName | Should -Be 'evil__Content-Type: text-html.txt'
        $answer.files[0].contentType | Should -Be 'application/octet-stream'
    }

    It 'names a file to send that cannot be read (<Case>), sends nothing, and never calls it a connection failure' -ForEach @(
        @{ Case = '-InFile'; Arguments = @{ InFile = 'missing-upload.bin' } }
        @{ Case = '-Form'; Arguments = @{ Form = @{ comment = 'x'; file = [System.IO.FileInfo] 'missing-upload.bin' } } }
    ) {
        Reset-TokenAuthEmulator $Emulator
        Push-Location $TestDrive
        try {
            $null = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/upload -Method POST @Arguments -ErrorVariable failure -ErrorAction SilentlyContinue
        }
        finally { Pop-Location }

        $failure[0].FullyQualifiedErrorId | Should -BeLike 'InvalidRequest,*'
        "$($failure[0])" | Should -Match "The file to send, '.*missing-upload\.bin', cannot be read"
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'apimw/upload' | Should -BeNullOrEmpty
    }

    It 'sends -InFile as the body, as it is' {
        $binary = Join-Path $TestDrive 'infile.bin'
        [System.IO.File]::WriteAllBytes($binary, [byte[]] (1..200))

        $answer = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/echo -Method PUT -InFile $binary -ContentType 'application/x-custom'

        $answer.bodyLength | Should -Be 200
        $answer.bodySha256 | Should -Be (Get-Sha256 $binary)
        $answer.contentType | Should -Be 'application/x-custom'
    }

    It 'sends a dictionary -Body URL-encoded with -ContentType application/x-www-form-urlencoded, and as JSON without' {
        $form = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/echo -Method POST -Body @{ name = 'a b&c' } -ContentType 'application/x-www-form-urlencoded'
        $json = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/echo -Method POST -Body @{ name = 'a b&c' }

        $form.body | Should -Be 'name=a+b%26c'
        $json.body | Should -Be '{"name":"a b\u0026c"}'
        $json.contentType | Should -Be 'application/json; charset=utf-8'
    }

    It 'turns a dictionary -Body of a GET into the query string' {
        $answer = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri 'resources/echo?page=2' -Body @{ filter = 'open & new' }

        $answer.query.page | Should -Be '2'
        $answer.query.filter | Should -Be 'open & new'
        $answer.body | Should -BeNullOrEmpty
    }

    It 'keeps any other -Body of a GET as the body, as Invoke-RestMethod does, never as the query string' {
        $answer = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/echo -Body ([pscustomobject]@{ filter = 'open' })

        $answer.query.PSObject.Properties.Name | Should -BeNullOrEmpty
        $answer.body | Should -Be '{"filter":"open"}'
    }

    It 'refuses <Case> before anything is sent' -TestCases @(
        @{ Case = '-Body with -Form'; Arguments = @{ Body = 'x'; Form = @{ a = 1 } }; Says = '-Body, -Form and -InFile each give the body' }
        @{ Case = '-Resume without -OutFile'; Arguments = @{ Resume = $true }; Says = '-Resume and -PassThru go with -OutFile' }
        @{ Case = '-CustomMethod with -Method'; Arguments = @{ CustomMethod = 'REPORT'; Method = 'GET' }; Says = '-CustomMethod and -Method' }
    ) {
        { Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/echo @Arguments } | Should -Throw -ErrorId 'InvalidRequest,TokenAuth.Commands.InvokeAuthenticatedRequestCommand' -ExpectedMessage "*$Says*"
    }

    It 'sends -CustomMethod as it is' {
        (Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/echo -CustomMethod report).method | Should -Be 'REPORT'
    }
}

Describe 'Downloads' {
    It 'finishes a download that broke off with -Resume, appending only the rest' {
        $file = Join-Path $TestDrive 'resumed.bin'
        Reset-TokenAuthEmulator $Emulator

        Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri 'resources/bytes?size=300000&cut=150000' -OutFile $file -Resume -MaximumRetryCount 0 -ErrorVariable broke -ErrorAction SilentlyContinue
        $partial = (Get-Item $file).Length
        Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri 'resources/bytes?size=300000' -OutFile $file -Resume -Verbose 4>&1 | Out-String | Set-Variable resumed
        Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri 'resources/bytes?size=300000' -OutFile $file -Resume -Verbose 4>&1 | Out-String | Set-Variable again

        $broke[0].FullyQualifiedErrorId | Should -BeLike 'ProviderUnreachable,*'
        $partial | Should -BeGreaterThan 0
        $partial | Should -BeLessThan 300000
        $resumed | Should -Match "HTTP 206 Partial Content in \d+ ms, $(300000 - $partial) bytes"
        [System.IO.File]::ReadAllBytes($file) | Should -Be (Get-ExpectedByte 300000)
        $again | Should -Match 'is complete already \(300000 bytes'
    }

    It 'detects a server that ignores the range, and replaces the file with the whole answer' {
        $file = Join-Path $TestDrive 'ignored.bin'
        [System.IO.File]::WriteAllBytes($file, [byte[]] (Get-ExpectedByte 1000))

        Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri 'resources/bytes?size=5000&ignoreRange=1' -OutFile $file -Resume -WarningVariable warnings -WarningAction SilentlyContinue

        "$warnings" | Should -Match 'ignored the range asked for \(bytes from 1000, HTTP 200 instead of 206\)'
        [System.IO.File]::ReadAllBytes($file) | Should -Be (Get-ExpectedByte 5000)
    }

    It 'writes a range nobody asked for from the start as a new file, and refuses one from elsewhere, with -Resume' {
        $file = Join-Path $TestDrive 'unasked.bin'
        $other = Join-Path $TestDrive 'elsewhere.bin'

        Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri 'resources/bytes?size=4000&partialFrom=0' -OutFile $file -Resume
        Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri 'resources/bytes?size=4000&partialFrom=1000' -OutFile $other -Resume -ErrorVariable failure -ErrorAction SilentlyContinue

        [System.IO.File]::ReadAllBytes($file) | Should -Be (Get-ExpectedByte 4000)
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'OutFileFailed,*'
        "$($failure[0])" | Should -Match 'sent the bytes from 1000, not from 0 where the file ends'
        Test-Path $other | Should -BeFalse
    }

    It 'gives -PassThru text labelled JSON that is not, as text, instead of failing' {
        $file = Join-Path $TestDrive 'not-json.json'
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider APIMW -Endpoint sample -StatusCode 200 -Body '{not json' -ContentType 'application/json'

        $answer = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/sample -OutFile $file -PassThru

        $answer | Should -Be '{not json'
        Get-Content -LiteralPath $file -Raw | Should -Be '{not json'
    }

    # An answer read whole is made into objects straight from the parsed JSON, one read back from -OutFile through the
    # engine's dictionaries: both must come out as ConvertFrom-Json makes them.
    It 'makes a JSON answer into the objects ConvertFrom-Json makes, with or without -OutFile -PassThru' {
        $json = '{"name":"caf\u00e9","count":3,"big":9007199254740993,"ratio":0.25,"on":true,"off":false,"none":null,' +
            '"tags":["a","b"],"empty":[],"nested":{"deeper":{"list":[1,{"x":-2}]}},"blank":{}}'
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider APIMW -Endpoint sample -StatusCode 200 -Body $json -Times 2
        $file = Join-Path $TestDrive 'shapes.json'

        $returned = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/sample
        $readBack = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/sample -OutFile $file -PassThru

        $expected = $json | ConvertFrom-Json | ConvertTo-Json -Depth 10 -Compress
        foreach ($answer in $returned, $readBack) {
            $answer | ConvertTo-Json -Depth 10 -Compress | Should -BeExactly $expected
            $answer.count | Should -BeOfType [long]
            $answer.big | Should -Be 9007199254740993
            $answer.ratio | Should -BeOfType [double]
            , $answer.tags | Should -BeOfType [object[]]
            $answer.nested.deeper.list[1].x | Should -Be -2
        }
    }

    It 'reads half a UTF-16 surrogate pair that the answer escapes as ConvertFrom-Json does, with or without -OutFile -PassThru' {
        # A JavaScript server's string cut inside an emoji: "\ud83d" alone. The JSON reader TokenAuth uses refuses to read
        # such a string, and the whole call failed with its exception; ConvertFrom-Json makes it U+FFFD, and so does TokenAuth.
        $json = '{"summary":"cut \ud83d","\ude00name":"x","list":["\udc00"],"whole":"\ud83d\ude00"}'
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider APIMW -Endpoint sample -StatusCode 200 -Body $json -Times 2
        $file = Join-Path $TestDrive 'halves.json'

        $returned = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/sample
        $readBack = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/sample -OutFile $file -PassThru

        $expected = $json | ConvertFrom-Json
        foreach ($answer in $returned, $readBack) {
            $answer.summary | Should -BeExactly $expected.summary
            $answer.summary.Length | Should -Be 5
            [int] $answer.summary[4] | Should -Be 0xFFFD
            $answer.PSObject.Properties.Name | Should -Be @($expected.PSObject.Properties.Name)
            [int] $answer.list[0][0] | Should -Be 0xFFFD
            $answer.whole | Should -BeExactly ([char]::ConvertFromUtf32(0x1F600))
        }
    }

    It 'keeps a name the answer repeats (in any case) once, in its first place with its last value' {
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider APIMW -Endpoint sample -StatusCode 200 -Body '{"id":1,"other":0,"ID":2}'

        $answer = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/sample

        $answer.PSObject.Properties.Name | Should -Be @('ID', 'other')
        $answer.id | Should -Be 2
    }

    It 'writes the answer to the pipeline as well with -PassThru' {
        $file = Join-Path $TestDrive 'sample.json'

        $answer = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/sample -OutFile $file -PassThru

        $answer.provider | Should -Be 'apimw'
        (Get-Content $file -Raw | ConvertFrom-Json).provider | Should -Be 'apimw'
    }

    # One rule decides JSON, text or bytes, for an answer returned and for one read back from -OutFile alike.
    It 'returns a <Type> answer as <Expected>, with or without -OutFile -PassThru' -TestCases @(
        @{ Type = 'application/xml; charset=utf-8'; Expected = 'String' }
        @{ Type = 'application/atom+xml'; Expected = 'String' }
        @{ Type = 'text/xml'; Expected = 'String' }
        @{ Type = 'application/octet-stream'; Expected = 'Byte[]' }
    ) {
        $uri = "resources/xml?type=$([uri]::EscapeDataString($Type))"
        $file = Join-Path $TestDrive 'answer.xml'

        $returned = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri $uri
        $readBack = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri $uri -OutFile $file -PassThru

        $returned.GetType().Name | Should -Be $Expected
        $readBack.GetType().Name | Should -Be $Expected
        $text = '<sample provider="apimw">XML from apimw.</sample>'
        if ($Expected -eq 'String') { $returned, $readBack | Should -BeExactly $text, $text }
        else { [Text.Encoding]::UTF8.GetString($readBack) | Should -BeExactly ([Text.Encoding]::UTF8.GetString($returned)) }
    }

    It 'reads the file back as a string with -Raw, as -Raw returns an answer' {
        $file = Join-Path $TestDrive 'raw.json'

        $returned = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/sample -Raw
        $readBack = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/sample -Raw -OutFile $file -PassThru

        $readBack | Should -BeOfType [string]
        $readBack | Should -BeExactly $returned
    }
}

Describe 'Request options' {
    It 'sends -UserAgent, and a User-Agent naming TokenAuth, PowerShell and the platform without it' {
        $default = (Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/echo).headers.'User-Agent'
        $given = (Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/echo -UserAgent 'nightly-sync/2.1').headers.'User-Agent'

        $given | Should -Be 'nightly-sync/2.1'
        $default | Should -Match "^TokenAuth/\d+\.\d+\.\d+ PowerShell/$([regex]::Escape($PSVersionTable.PSVersion.ToString())) \((Linux|Windows|macOS) \w+\)$"
    }

    It 'refuses a -UserAgent that would start a header of its own, as it refuses such a header' {
        Reset-TokenAuthEmulator $Emulator

        Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/echo -UserAgent "nightly`r`nX-Injected: 1" -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].FullyQualifiedErrorId | Should -Be 'InvalidRequest,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
        "$($failure[0])" | Should -Match 'User-Agent'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'apimw/echo' | Should -BeNullOrEmpty
    }

    It 'waits -RetryIntervalSec between attempts when the server sends no Retry-After' {
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider APIMW -Endpoint sample -StatusCode 503 -Times 1

        $lines = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri resources/sample -RetryIntervalSec 2 -Verbose 4>&1 | ForEach-Object { "$_" }

        $lines | Should -Contain "HTTP 503 from $Base/resources/sample; retrying in 2 s (attempt 2 of 4)."
    }

    It 'stops at the first redirect with -MaximumRedirection 0, and returns it with -SkipHttpErrorCheck' {
        $uri = 'resources/redirect?to=/apimw/resources/sample'
        Reset-TokenAuthEmulator $Emulator

        Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri $uri -MaximumRedirection 0 -ErrorVariable failure -ErrorAction SilentlyContinue
        $null = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri $uri -MaximumRedirection 0 -SkipHttpErrorCheck -StatusCodeVariable status -ResponseHeadersVariable headers

        "$($failure[0])" | Should -Match 'a redirect to .*/apimw/resources/sample, which was not followed: 0 redirect\(s\) allowed'
        $status | Should -Be 302
        "$($headers.Location)" | Should -Be '/apimw/resources/sample'
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'apimw/sample' | Should -BeNullOrEmpty
    }

    It 'keeps POST and its body through a 302 with -PreserveHttpMethodOnRedirect, and turns it into GET without' {
        $uri = 'resources/redirect?status=302&to=/apimw/resources/echo'

        $kept = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri $uri -Method POST -Body 'kept' -ContentType 'text/plain' -PreserveHttpMethodOnRedirect
        $changed = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri $uri -Method POST -Body 'dropped' -ContentType 'text/plain'

        $kept.method | Should -Be 'POST'
        $kept.body | Should -Be 'kept'
        $changed.method | Should -Be 'GET'
        $changed.body | Should -BeNullOrEmpty
    }

    It 'ends an attempt whose headers take longer than -ConnectionTimeoutSeconds, naming that limit' {
        Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri 'resources/slow?ms=3000' -ConnectionTimeoutSeconds 1 -MaximumRetryCount 0 -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].FullyQualifiedErrorId | Should -BeLike 'ProviderTimeout,*'
        "$($failure[0])" | Should -Match 'no answer arrived for 1 s'
    }

    It 'ends an answer that stops sending for -OperationTimeoutSeconds, and lets a slow but moving one finish' {
        Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri 'resources/stall?ms=3000' -OperationTimeoutSeconds 1 -MaximumRetryCount 0 -ErrorVariable failure -ErrorAction SilentlyContinue
        $finished = Invoke-AuthenticatedRequest APIMW -BaseUri $Base -Uri 'resources/stall?ms=300' -OperationTimeoutSeconds 2

        "$($failure[0])" | Should -Match 'no byte of the answer arrived for 1 s'
        $finished.stalled | Should -BeTrue
    }
}

Describe 'HTTP/2 and TLS versions' {
    BeforeAll {
        $script:Certificates = New-TokenAuthTestCertificate -Path (Join-Path $TestDrive 'certificates')
        $script:Tls = Start-TokenAuthEmulator -Https @{ Trusted = $Certificates.Server }
        $script:TlsBase = $Tls.Https.Trusted + 'apimw'
        Set-TokenAuthOption -CertificateBundle $Certificates.Bundle
    }

    AfterAll {
        Set-TokenAuthOption -Reset
        Stop-TokenAuthEmulator $Tls
    }

    It 'speaks HTTP/2 where the server offers it with -HttpVersion 2.0, and HTTP/1.1 without' {
        (Invoke-AuthenticatedRequest APIMW -BaseUri $TlsBase -Uri resources/echo -HttpVersion 2.0).protocol | Should -Be 'HTTP/2'
        (Invoke-AuthenticatedRequest APIMW -BaseUri $TlsBase -Uri resources/echo).protocol | Should -Be 'HTTP/1.1'
    }

    It 'connects with the TLS version -SslProtocol allows' {
        (Invoke-AuthenticatedRequest APIMW -BaseUri $TlsBase -Uri resources/echo -SslProtocol Tls12).tls | Should -Be 'Tls12'
        (Invoke-AuthenticatedRequest APIMW -BaseUri $TlsBase -Uri resources/echo -SslProtocol Tls13).tls | Should -Be 'Tls13'
    }
}

Describe 'The migration table' {
    It 'has a row for every parameter of Invoke-RestMethod, each saying same, different or not offered' {
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $restMethod = (Get-Command Invoke-RestMethod).Parameters.Keys | Where-Object { $_ -notin $common }
        $ours = (Get-Command Invoke-AuthenticatedRequest).Parameters.Keys
        $topic = Get-Content (Join-Path (Get-Module TokenAuth).ModuleBase 'en-US/about_TokenAuth_From_InvokeRestMethod.help.txt')
        $rows = @{}
        foreach ($line in $topic) {
            if ($line -match '^\s{4}-(\w+)\s+(same|different|not offered)\b') { $rows[$Matches[1]] = $Matches[2] }
        }

        $missing = $restMethod | Where-Object { -not $rows.ContainsKey($_) }
        $missing | Should -BeNullOrEmpty -Because 'every Invoke-RestMethod parameter needs a row (add one when PowerShell adds a parameter)'
        foreach ($name in $restMethod) {
            if ($rows[$name] -eq 'not offered') { $ours | Should -Not -Contain $name -Because "-$name is listed as not offered" }
            else { $ours | Should -Contain $name -Because "-$name is listed as $($rows[$name])" }
        }
    }
}
