package iis_test

import (
	"fmt"
	"os"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/iis"
)

// A web.config that asks the ASP.NET Core Module to load a Go program in
// process, with a misspelt attribute: both are caught, on their lines.
func ExampleCheck() {
	webConfig := `<configuration>
  <system.webServer>
    <handlers>
      <add name="aspNetCore" path="*" verb="*" modules="AspNetCoreModuleV2" />
    </handlers>
    <aspNetCore processPath=".\shop.exe"
                hostingModel="InProcess"
                shutdownTimeout="10" />
  </system.webServer>
</configuration>`
	doc, err := iis.Parse("web.config", []byte(webConfig))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range iis.Check(doc, nil) {
		fmt.Println(f)
	}
	// Output:
	// web.config:7: error: hostingModel="InProcess" with processPath ".\shop.exe": only .NET apps run inside the IIS worker process; this one fails to start (500.30) [iis/inprocess-non-dotnet]
	// web.config:8: error: <aspNetCore> has no attribute "shutdownTimeout" (did you mean "shutdownTimeLimit"?) [iis/unknown-attribute]
}

// The body limit of the description becomes IIS's request limit, and the
// supervisor's timeouts the module's time limits.
func ExampleGenerate() {
	c := config.Default()
	c.Name = "shop"
	c.Supervise.Command = []string{`C:\sites\shop\shop.exe`}
	if err := c.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	files, err := iis.Generate(c, iis.ModeANCM)
	if err != nil {
		fmt.Println(err)
		return
	}
	os.Stdout.Write(files[0].Content[bytesAfterHeader(files[0].Content):])
	// Output:
	// <configuration>
	//   <location path="." inheritInChildApplications="false">
	//     <system.webServer>
	//       <handlers>
	//         <add name="aspNetCore" path="*" verb="*" modules="AspNetCoreModuleV2" resourceType="Unspecified" />
	//       </handlers>
	//       <!-- hostingModel must stay OutOfProcess: only .NET code can run inside the IIS worker process. -->
	//       <!-- stdoutLogEnabled stays false: IIS never rotates or trims that log. Turn it on only while diagnosing a start-up failure. -->
	//       <aspNetCore processPath="C:\sites\shop\shop.exe"
	//                   arguments=""
	//                   hostingModel="OutOfProcess"
	//                   startupTimeLimit="60"
	//                   shutdownTimeLimit="35"
	//                   rapidFailsPerMinute="10"
	//                   requestTimeout="00:02:00"
	//                   stdoutLogEnabled="false"
	//                   stdoutLogFile=".\logs\shop-stdout"
	//                   forwardWindowsAuthToken="false" />
	//       <security>
	//         <requestFiltering>
	//           <requestLimits maxAllowedContentLength="30000000" />
	//         </requestFiltering>
	//       </security>
	//     </system.webServer>
	//   </location>
	// </configuration>
}

// bytesAfterHeader skips the XML declaration and the header comment.
func bytesAfterHeader(b []byte) int {
	const end = "-->\n"
	for i := 0; i+len(end) <= len(b); i++ {
		if string(b[i:i+len(end)]) == end {
			return i + len(end)
		}
	}
	return 0
}
