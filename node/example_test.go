package node_test

import (
	"fmt"

	"github.com/lte-mme/mme/node"
)

// A configuration is YAML over the loopback defaults; errors name the field.
func ExampleParseConfig() {
	cfg, err := node.ParseConfig([]byte("plmn: \"00101\"\ntais: [{tac: 7}]\nstore: {dir: memory}\n"))
	fmt.Println(cfg.S1.Listen, *cfg.S1.UDPPort, cfg.S11.SGW, cfg.S6a.Peers, cfg.TAIs, err)

	_, err = node.ParseConfig([]byte("s1:\n  listen: [127.0.0.1, nowhere]\n"))
	fmt.Println(err)
	// Output:
	// [127.0.0.1] 9899 127.0.0.1:2123 [127.0.0.1:3868] [{ 7}] <nil>
	// config: s1.listen[1]: "nowhere" is not an IP address
}
