"""The order the embedded engine creates a template's resources in, and deletes them in
reverse (harness/engine/moto/template_update.py): every dependency first, implicit ones
(Ref, Fn::GetAtt, Fn::Sub) as well as DependsOn."""

from harness.engine.moto.template_update import _in_dependency_order

NETWORK = {
    "Endpoint": {
        "Type": "AWS::EC2::VPCEndpoint",
        "Properties": {"VpcId": {"Ref": "Vpc"}, "RouteTableIds": [{"Ref": "Table"}]},
    },
    "Table": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
    "Route": {
        "Type": "AWS::EC2::Route",
        "DependsOn": "Attachment",
        "Properties": {"RouteTableId": {"Fn::GetAtt": ["Table", "RouteTableId"]}},
    },
    "Attachment": {
        "Type": "AWS::EC2::VPCGatewayAttachment",
        "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Gw"}},
    },
    "Gw": {"Type": "AWS::EC2::InternetGateway", "Properties": {}},
    "Named": {
        "Type": "AWS::SSM::Parameter",
        "Properties": {
            "Value": {"Fn::Sub": ["${Vpc.CidrBlock}/${Other}", {"Other": {"Ref": "Gw"}}]},
            "Name": {"Fn::Sub": "${AWS::StackName}-${Endpoint}"},
        },
    },
    "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
}


def test_every_resource_comes_after_what_it_names_and_depends_on():
    order = list(_in_dependency_order(NETWORK))
    position = {name: index for index, name in enumerate(order)}

    assert sorted(order) == sorted(NETWORK)
    for dependent, dependency in [
        ("Endpoint", "Vpc"),
        ("Endpoint", "Table"),
        ("Table", "Vpc"),
        ("Route", "Table"),
        ("Route", "Attachment"),
        ("Attachment", "Gw"),
        ("Named", "Vpc"),
        ("Named", "Gw"),
        ("Named", "Endpoint"),
    ]:
        assert position[dependency] < position[dependent], (dependent, dependency)
